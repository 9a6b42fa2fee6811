using System.Reflection;
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
        var missing = new List<string>();
        var internals = new List<string>();
        foreach (var (name, assembly, memberName) in Build.AssemblyReferences.Of(typeof(PriorNetwork).Assembly.Location))
        {
            if (!assemblies.TryGetValue(assembly, out var runtime))
                continue;
            var type = runtime.GetType(name);
            if (memberName is null)
            {
                if (type is null)
                    missing.Add($"type {name} ({assembly})");
                else if (!(type.IsPublic || type.IsNestedPublic))
                    internals.Add(name);
                continue;
            }
            if (type is null)
                continue;
            var found =
                memberName == ".ctor"
                    ? type.GetConstructors(Everything).Cast<MemberInfo>().ToArray()
                    : type.GetMember(memberName, Everything);
            if (found.Length == 0)
                missing.Add($"{name}.{memberName} ({assembly})");
            else if (
                found.All(m => m is MethodBase { IsPublic: false } or FieldInfo { IsPublic: false })
                || !(type.IsPublic || type.IsNestedPublic)
            )
                internals.Add($"{name}.{memberName}");
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
