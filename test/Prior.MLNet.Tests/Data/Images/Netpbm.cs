using System.Text;
using Prior.MLNet.Data.Images;

namespace Prior.MLNet.Tests.Data.Images;

/// <summary>
/// Reads the binary PGM (P5) and PPM (P6) files dcmtk's dcmj2pnm writes as references: 8-bit gray as it is, 8-bit RGB
/// turned to luma by the library's one colour rule (the RGB is dcmtk's rendering; only the luma formula is ours).
/// </summary>
internal static class Netpbm
{
    /// <summary>The gray (or luma) pixels of <paramref name="path"/>, row-major.</summary>
    public static (byte[] Pixels, int Width, int Height) ReadGray(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var fields = new List<string>();
        int at = 0;
        while (fields.Count < 4)
        {
            while (char.IsWhiteSpace((char)bytes[at]))
                at++;
            int start = at;
            while (!char.IsWhiteSpace((char)bytes[at]))
                at++;
            fields.Add(Encoding.ASCII.GetString(bytes, start, at - start));
        }
        Assert.IsTrue(fields[0] is "P5" or "P6", $"{path}: a binary PGM or PPM");
        Assert.AreEqual("255", fields[3], $"{path}: 8 bits a sample");
        int width = int.Parse(fields[1]),
            height = int.Parse(fields[2]);
        var data = bytes[(at + 1)..];
        if (fields[0] == "P5")
            return (data, width, height);
        var luma = new byte[width * height];
        for (int i = 0; i < luma.Length; i++)
            luma[i] = ColourToLuma.FromRgb(data[3 * i], data[3 * i + 1], data[3 * i + 2]);
        return (luma, width, height);
    }
}
