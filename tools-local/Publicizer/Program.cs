// Publicizer: writes a copy of an assembly in which every type and member is public, for compiling against.
// Prior.MLNet compiles against publicized Microsoft.ML.Core and Microsoft.ML.Data to reach ML.NET's model persistence
// API (ModelSaveContext, ModelLoadContext, VersionInfo, LoadableClassAttribute) and the catalogs' environment, which
// ML.NET keeps internal; at run time the real assemblies are loaded and [IgnoresAccessChecksTo] lets the calls through.
// Usage: Publicizer <input.dll> <output.dll>
using Mono.Cecil;

if (args.Length != 2)
{
    Console.Error.WriteLine("usage: Publicizer <input.dll> <output.dll>");
    return 2;
}
var (input, output) = (args[0], args[1]);
// Up to date when the copy was made from these very bytes by this very rule: the key is the input's SHA-256 and the
// rule's version, kept beside the copy. Timestamps would keep a stale copy after a package downgrade (an older file)
// or a restore that preserves dates, and rewrite it needlessly after a touch.
const string RuleVersion = "publicize-v1";
var key = $"{RuleVersion} {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(input)))}";
var keyFile = output + ".key";
if (File.Exists(output) && File.Exists(keyFile) && File.ReadAllText(keyFile) == key)
    return 0;

var resolver = new DefaultAssemblyResolver();
resolver.AddSearchDirectory(Path.GetDirectoryName(Path.GetFullPath(input))!);
using var assembly = AssemblyDefinition.ReadAssembly(input, new ReaderParameters { AssemblyResolver = resolver });
foreach (var type in assembly.MainModule.GetTypes())
{
    if (type.IsNested)
        type.IsNestedPublic = true;
    else
        type.IsPublic = true;
    foreach (var method in type.Methods)
    {
        // Explicit interface implementations keep their privacy: making them public would clash with the interface.
        if (method.HasOverrides && method.IsPrivate)
            continue;
        method.IsPublic = true;
    }
    foreach (var field in type.Fields)
    {
        // Leave backing fields of events alone: a public field named like its event confuses the compiler.
        if (type.Events.Any(e => e.Name == field.Name))
            continue;
        field.IsPublic = true;
    }
}
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
var temp = output + ".tmp";
assembly.Write(temp);
File.Move(temp, output, overwrite: true);
// The key last, so that a run stopped between the two writes makes the copy again next time.
File.WriteAllText(keyFile + ".tmp", key);
File.Move(keyFile + ".tmp", keyFile, overwrite: true);
return 0;
