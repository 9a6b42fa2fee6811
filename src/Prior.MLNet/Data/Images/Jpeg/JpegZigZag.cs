namespace Prior.MLNet.Data.Images.Jpeg;

/// <summary>The zig-zag order of a block's 64 coefficients in a JPEG stream (ITU T.81, figure A.6).</summary>
internal static class JpegZigZag
{
    /// <summary>Zig-zag position k → row-major position in the 8 × 8 block, walked out diagonal by diagonal.</summary>
    public static readonly int[] Natural = Build();

    private static int[] Build()
    {
        var order = new int[64];
        int k = 0;
        for (int diagonal = 0; diagonal < 15; diagonal++)
        {
            for (int i = 0; i <= diagonal; i++)
            {
                // Odd diagonals run down-left from the top row, even ones up-right from the left column.
                int row = diagonal % 2 == 1 ? i : diagonal - i,
                    column = diagonal - row;
                if (row < 8 && column < 8)
                    order[k++] = row * 8 + column;
            }
        }
        return order;
    }
}
