namespace Prior.MLNet.Modeling.Losses;

/// <summary>
/// Minimum-cost assignment of a square cost matrix (the Hungarian method with potentials, O(n³)): what SciPy's
/// <c>linear_sum_assignment</c> gives PRIOR's prototype generation loss.
/// </summary>
internal static class HungarianAlgorithm
{
    /// <summary>Returns, for each row i, the column assigned to it (SciPy's <c>col_ind</c>).</summary>
    public static int[] Solve(double[,] cost)
    {
        ArgumentNullException.ThrowIfNull(cost);
        int n = cost.GetLength(0);
        if (cost.GetLength(1) != n)
            throw new ArgumentException($"The cost matrix must be square; it is {n}x{cost.GetLength(1)}.", nameof(cost));
        // 1-based potentials u (rows), v (columns); way[j] remembers the previous column on the augmenting path.
        var u = new double[n + 1];
        var v = new double[n + 1];
        var rowOfColumn = new int[n + 1];
        var way = new int[n + 1];
        for (int i = 1; i <= n; i++)
        {
            rowOfColumn[0] = i;
            int column = 0;
            var minimum = Enumerable.Repeat(double.PositiveInfinity, n + 1).ToArray();
            var used = new bool[n + 1];
            do
            {
                used[column] = true;
                int row = rowOfColumn[column],
                    next = 0;
                double delta = double.PositiveInfinity;
                for (int j = 1; j <= n; j++)
                {
                    if (used[j])
                        continue;
                    double reduced = cost[row - 1, j - 1] - u[row] - v[j];
                    if (reduced < minimum[j])
                    {
                        minimum[j] = reduced;
                        way[j] = column;
                    }
                    if (minimum[j] < delta)
                    {
                        delta = minimum[j];
                        next = j;
                    }
                }
                for (int j = 0; j <= n; j++)
                {
                    if (used[j])
                    {
                        u[rowOfColumn[j]] += delta;
                        v[j] -= delta;
                    }
                    else
                        minimum[j] -= delta;
                }
                column = next;
            } while (rowOfColumn[column] != 0);
            do
            {
                int previous = way[column];
                rowOfColumn[column] = rowOfColumn[previous];
                column = previous;
            } while (column != 0);
        }
        var assignment = new int[n];
        for (int j = 1; j <= n; j++)
            assignment[rowOfColumn[j] - 1] = j - 1;
        return assignment;
    }
}
