// MSBuild task (compiled by RoslynCodeTaskFactory, see LibTorchSharpGlibcxx.targets): sets VER_FLG_WEAK on the
// named version requirements of 64-bit little-endian ELF shared libraries, in place. Idempotent.
//
// ELF facts used (System V gABI, GNU symbol versioning):
//   header: e_shoff u64 @0x28, e_shentsize u16 @0x3A, e_shnum u16 @0x3C
//   section header (64 bytes): sh_type u32 @0x04, sh_offset u64 @0x18, sh_size u64 @0x20, sh_link u32 @0x28,
//                              sh_info u32 @0x2C
//   SHT_GNU_verneed = 0x6ffffffe; Elf64_Verneed: vn_cnt u16 @2, vn_aux u32 @8, vn_next u32 @12;
//   Elf64_Vernaux: vna_flags u16 @4, vna_name u32 @8, vna_next u32 @12; VER_FLG_WEAK = 0x2.
using System;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class WeakenElfVersionNeeds : Task
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlagWeak = 0x2;

    [Required]
    public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();

    [Required]
    public string Versions { get; set; } = string.Empty;

    public override bool Execute()
    {
        var wanted = Versions.Split(new[] { ';', ',' }, StringSplitOptions.RemoveEmptyEntries).Select(v => v.Trim()).ToArray();
        foreach (var item in Files)
        {
            var path = item.ItemSpec;
            try
            {
                var bytes = File.ReadAllBytes(path);
                int changed = Weaken(bytes, wanted, out int alreadyWeak);
                if (changed > 0)
                {
                    // Write beside, then replace (netstandard has no File.Move overwrite), so a failed write
                    // never leaves a half-written native library behind.
                    var temp = path + ".patching";
                    File.WriteAllBytes(temp, bytes);
                    File.Copy(temp, path, true);
                    File.Delete(temp);
                    Log.LogMessage(
                        MessageImportance.Normal,
                        $"Marked {changed} version requirement(s) [{string.Join(", ", wanted)}] weak in {path}."
                    );
                }
                else if (alreadyWeak == 0)
                {
                    Log.LogMessage(MessageImportance.Low, $"No requirement on [{string.Join(", ", wanted)}] in {path}.");
                }
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                Log.LogError($"Could not patch ELF version requirements of '{path}': {ex.Message}");
            }
        }
        return !Log.HasLoggedErrors;
    }

    private static ushort U16(byte[] b, long at) => (ushort)(b[at] | (b[at + 1] << 8));

    private static uint U32(byte[] b, long at) => (uint)(U16(b, at) | (U16(b, at + 2) << 16));

    private static ulong U64(byte[] b, long at) => U32(b, at) | ((ulong)U32(b, at + 4) << 32);

    private static int Weaken(byte[] elf, string[] versions, out int alreadyWeak)
    {
        alreadyWeak = 0;
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1)
            throw new InvalidDataException("only 64-bit little-endian ELF is supported");

        long shoff = (long)U64(elf, 0x28);
        int shentsize = U16(elf, 0x3A);
        int shnum = U16(elf, 0x3C);
        int changed = 0;
        for (int s = 0; s < shnum; s++)
        {
            long shBase = shoff + (long)s * shentsize;
            if (U32(elf, shBase + 0x04) != ShtGnuVerneed)
                continue;
            long offset = (long)U64(elf, shBase + 0x18);
            int link = (int)U32(elf, shBase + 0x28);
            int count = (int)U32(elf, shBase + 0x2C);
            long strtabBase = shoff + (long)link * shentsize;
            long strOffset = (long)U64(elf, strtabBase + 0x18);

            long need = offset;
            for (int n = 0; n < count; n++)
            {
                int auxCount = U16(elf, need + 2);
                long aux = need + U32(elf, need + 8);
                for (int a = 0; a < auxCount; a++)
                {
                    long nameOffset = strOffset + U32(elf, aux + 8);
                    int end = (int)nameOffset;
                    while (elf[end] != 0)
                        end++;
                    var name = Encoding.ASCII.GetString(elf, (int)nameOffset, end - (int)nameOffset);
                    if (Array.IndexOf(versions, name) >= 0)
                    {
                        ushort flags = U16(elf, aux + 4);
                        if ((flags & VerFlagWeak) == 0)
                        {
                            ushort weak = (ushort)(flags | VerFlagWeak);
                            elf[aux + 4] = (byte)(weak & 0xff);
                            elf[aux + 5] = (byte)(weak >> 8);
                            changed++;
                        }
                        else
                        {
                            alreadyWeak++;
                        }
                    }
                    uint nextAux = U32(elf, aux + 12);
                    if (nextAux == 0)
                        break;
                    aux += nextAux;
                }
                uint next = U32(elf, need + 12);
                if (next == 0)
                    break;
                need += next;
            }
        }
        return changed;
    }
}
