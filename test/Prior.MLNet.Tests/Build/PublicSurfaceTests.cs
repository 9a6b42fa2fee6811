using System.Reflection;
using System.Runtime.CompilerServices;
using System.Xml.Linq;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Tests.Build;

/// <summary>
/// The packages' public surface stays what users call: few types, each documented, no research switch or utility
/// among them, and the samples (which see only the public surface) prove that it is enough.
/// </summary>
[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class PublicSurfaceTests
{
    private static readonly Assembly[] Packages =
    [
        typeof(PriorCatalog).Assembly,
        typeof(Prior.MLNet.Onnx.PriorOnnxExport).Assembly,
        typeof(Prior.MLNet.Synthetic.SyntheticDatasetGenerator).Assembly,
    ];

    [TestMethod]
    public void ThePackagesExportAtMostEightyTypes()
    {
        var exported = Packages.SelectMany(a => a.GetExportedTypes()).Select(t => t.FullName!).Order().ToList();
        Assert.IsLessThanOrEqualTo(80, exported.Count, string.Join("\n", exported));
        // The surface is not empty by accident: the entry points users start from are on it.
        CollectionAssert.IsSubsetOf(
            new[]
            {
                "Prior.MLNet.Transforms.PriorCatalog",
                "Prior.MLNet.Data.CheXpert.CheXpertCatalog",
                "Prior.MLNet.Data.Mimic.MimicCxrCatalog",
                "Prior.MLNet.Trainers.PriorDownstreamCatalog",
                "Prior.MLNet.Defaults",
            },
            exported
        );
    }

    [TestMethod]
    public void EveryExportedTypeAndMemberHasXmlDocumentation()
    {
        var undocumented = new List<string>();
        foreach (var assembly in Packages)
        {
            var xml = Path.ChangeExtension(assembly.Location, ".xml");
            Assert.IsTrue(File.Exists(xml), $"{xml}: no documentation file beside the assembly");
            var documented = XDocument.Load(xml).Descendants("member").Select(m => (string)m.Attribute("name")!).ToHashSet();
            foreach (var type in assembly.GetExportedTypes())
            {
                if (!documented.Contains("T:" + type.FullName!.Replace('+', '.')))
                    undocumented.Add(type.FullName);
                foreach (
                    var property in type.GetProperties(
                        BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly
                    )
                )
                {
                    var name = $"P:{type.FullName!.Replace('+', '.')}.{property.Name}";
                    // A positional record's property is documented by the record's <param>.
                    if (!documented.Contains(name) && !IsRecordParameter(type, property.Name))
                        undocumented.Add(name);
                }
            }
        }
        Assert.IsEmpty(undocumented, string.Join("\n", undocumented));
    }

    [TestMethod]
    public void NoExportedTypeIsANestedResultOrUtility()
    {
        var nested = Packages.SelectMany(a => a.GetExportedTypes()).Where(t => t.IsNested).Select(t => t.FullName).ToList();
        Assert.IsEmpty(nested, "public nested types read badly at call sites (Foo.Result): " + string.Join(", ", nested));
        var utilities = new[]
        {
            "CsvReader",
            "AtomicFile",
            "DeterministicRandom",
            "TorchGcGuard",
            "TrainingCheckpoint",
            "HungarianAlgorithm",
            "PriorModel",
            "PriorTrainer",
            "PriorTrainerOptions",
            "ReportTokenizer",
        };
        var exported = Packages.SelectMany(a => a.GetExportedTypes()).Select(t => t.Name).ToHashSet();
        CollectionAssert.AreEquivalent(Array.Empty<string>(), utilities.Where(exported.Contains).ToArray());
    }

    [TestMethod]
    public void ResearchSwitchesAreNotPublicOptions()
    {
        var publicOptions = typeof(PriorPretrainOptions).GetProperties().Select(p => p.Name).ToHashSet();
        string[] research =
        [
            "DetachGenerationTargets",
            "KeepRawGlobalAlignment",
            "KeepRawLocalAlignment",
            "ShieldTextTowerFromBank",
            "PrototypePathImageGradient",
            "DecoupledPrototypeStages",
            "PrototypeLogits",
            "PrototypeLogitScale",
            "StageSchedule",
            "KeepOptimizerStateAcrossStages",
            "PrototypeInitialization",
            "RestartUnusedPrototypes",
            "MeasureGradientShares",
        ];
        Assert.IsEmpty(research.Where(publicOptions.Contains).ToList(), "the recipe (PriorRecipe) owns these");
        Assert.IsTrue(publicOptions.Contains(nameof(PriorPretrainOptions.Recipe)));
        Assert.AreEqual(
            typeof(Prior.MLNet.Training.PriorPreset),
            typeof(PriorPretrainOptions).GetProperty(nameof(PriorPretrainOptions.Preset))!.PropertyType
        );
    }

    [TestMethod]
    public void TheSamplesSeeOnlyThePublicSurface()
    {
        // The samples are what a user writes; if they needed an internal, the public surface would be short of it.
        foreach (var assembly in Packages)
        {
            var friends = assembly.GetCustomAttributes<InternalsVisibleToAttribute>().Select(a => a.AssemblyName).ToList();
            Assert.DoesNotContain("prior-samples", friends, $"{assembly.GetName().Name} lets the samples see its internals");
        }
    }

    private static bool IsRecordParameter(Type type, string name) =>
        type.GetMethod("<Clone>$") is not null && type.GetConstructors().Any(c => c.GetParameters().Any(p => p.Name == name));
}
