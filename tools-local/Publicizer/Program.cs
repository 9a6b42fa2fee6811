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
if (File.Exists(output) && File.GetLastWriteTimeUtc(output) >= File.GetLastWriteTimeUtc(input))
    return 0; // up to date

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
return 0;
