using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Tests.Transforms;

/// <summary>
/// The library compiles against publicized ML.NET assemblies; at run time a member it calls that ML.NET has moved would
/// throw only when that code path runs. This reads every type and member the library references in Microsoft.ML.Core
/// and Microsoft.ML.Data from its metadata and finds each in the assemblies the tests run with, internal ones included.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class MLNetInternalsTests
{
    private const BindingFlags Everything = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static;

    [TestMethod]
    public void EveryMLNetMemberTheLibraryReferencesExistsInTheMLNetItRunsWith()
    {
        var assemblies = new Dictionary<string, Assembly>
        {
            ["Microsoft.ML.Core"] = typeof(IHostEnvironment).Assembly,
            ["Microsoft.ML.Data"] = typeof(MLContext).Assembly,
        };
        using var pe = new PEReader(File.OpenRead(typeof(PriorNetwork).Assembly.Location));
        var metadata = pe.GetMetadataReader();

        // The full name (Outer+Inner) and the assembly of a type reference.
        (string Name, string? Assembly) Describe(TypeReferenceHandle handle)
        {
            var type = metadata.GetTypeReference(handle);
            var name = metadata.GetString(type.Name);
            switch (type.ResolutionScope.Kind)
            {
                case HandleKind.TypeReference:
                    var outer = Describe((TypeReferenceHandle)type.ResolutionScope);
                    return ($"{outer.Name}+{name}", outer.Assembly);
                case HandleKind.AssemblyReference:
                    var assembly = metadata.GetString(metadata.GetAssemblyReference((AssemblyReferenceHandle)type.ResolutionScope).Name);
                    var space = metadata.GetString(type.Namespace);
                    return (space.Length > 0 ? $"{space}.{name}" : name, assembly);
                default:
                    return (name, null);
            }
        }

        var missing = new List<string>();
        var internals = new List<string>();
        foreach (var handle in metadata.TypeReferences)
        {
            var (name, assembly) = Describe(handle);
            if (assembly is null || !assemblies.TryGetValue(assembly, out var runtime))
                continue;
            var type = runtime.GetType(name);
            if (type is null)
                missing.Add($"type {name} ({assembly})");
            else if (!(type.IsPublic || type.IsNestedPublic))
                internals.Add(name);
        }
        foreach (var handle in metadata.MemberReferences)
        {
            var member = metadata.GetMemberReference(handle);
            if (member.Parent.Kind != HandleKind.TypeReference)
                continue; // generic instantiations: their type is checked above
            var (typeName, assembly) = Describe((TypeReferenceHandle)member.Parent);
            if (assembly is null || !assemblies.TryGetValue(assembly, out var runtime) || runtime.GetType(typeName) is not { } type)
                continue;
            var name = metadata.GetString(member.Name);
            var found = name == ".ctor" ? type.GetConstructors(Everything).Cast<MemberInfo>().ToArray() : type.GetMember(name, Everything);
            if (found.Length == 0)
                missing.Add($"{typeName}.{name} ({assembly})");
            else if (
                found.All(m => m is MethodBase { IsPublic: false } or FieldInfo { IsPublic: false })
                || !(type.IsPublic || type.IsNestedPublic)
            )
                internals.Add($"{typeName}.{name}");
        }
        Assert.IsEmpty(missing, "ML.NET members the library calls but this ML.NET lacks: " + string.Join(", ", missing));
        // The check has something to check: the library does use internals (persistence, the catalog's environment).
        CollectionAssert.Contains(internals, "Microsoft.ML.Data.IInternalCatalog");
        CollectionAssert.Contains(internals, "Microsoft.ML.ModelSaveContext.SetVersionInfo");
    }

    [TestMethod]
    public void TheCatalogsEnvironmentIsTheMLContextItself()
    {
        // No reflection and no silent new MLContext: the seed and the log a user gave reach the estimator.
        var ml = new MLContext(seed: 7);
        var environment = MLNet.Transforms.Persistence.MLNetInternals.Environment(ml.Transforms);
        Assert.AreEqual(7, MLNet.Transforms.Persistence.MLNetInternals.Seed(environment));
        Assert.IsNull(
            MLNet.Transforms.Persistence.MLNetInternals.Seed(
                MLNet.Transforms.Persistence.MLNetInternals.Environment(new MLContext().Transforms)
            )
        );
        Assert.IsFalse(MLNet.Transforms.Persistence.MLNetInternals.IsCanceled(environment)); // cancelled: MLNetSurfaceTests
        var shape = MLNet.Transforms.Persistence.MLNetInternals.ShapeOf(ml.Data.LoadFromEnumerable(new[] { new { A = 1f } }).Schema);
        Assert.AreEqual("A", shape.Single().Name);
    }
}
