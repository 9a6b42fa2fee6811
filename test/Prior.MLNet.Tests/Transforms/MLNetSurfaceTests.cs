using System.IO.Compression;
using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using Prior.MLNet.Data.Mimic;
using Prior.MLNet.Evaluation;
using Prior.MLNet.Modeling;
using Prior.MLNet.Tests.Training;
using Prior.MLNet.Training;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Tests.Transforms;

/// <summary>The ML.NET surface without sharp edges: one network per saved pipeline, disposal, seeds, cancellation, options.</summary>
[TestClass]
[TestCategory(TestCategories.Integration)]
public sealed class MLNetSurfaceTests
{
    private sealed class Row
    {
        public string ImagePath { get; set; } = string.Empty;
        public string Report { get; set; } = string.Empty;
    }

    private static IDataView Rows(MLContext ml) =>
        ml.Data.LoadFromEnumerable(
            TrainingFixture
                .Instance.Studies.Take(6)
                .Select(s => new Row { ImagePath = s.ImagePaths[0], Report = string.Join(" ", s.Sentences) })
        );

    [TestMethod]
    public void APipelineOfThreePriorTransformersStoresAndLoadsOneNetwork()
    {
        var ml = new MLContext(seed: 1);
        var data = Rows(ml);
        var network = TestNetwork.Instance;
        var model = ml
            .Transforms.PriorImageEmbedding(network)
            .Append(ml.Transforms.PriorReportEmbedding(network, inputColumnName: "Report"))
            .Append(ml.Transforms.PriorZeroShotClassification(network, ZeroShotPrompts.CheXpert5))
            .Fit(data);
        var path = Path.Combine(SyntheticFixture.NewTempFolder(), "pipeline.zip");
        ml.Model.Save(model, data.Schema, path);
        using (var zip = ZipFile.OpenRead(path))
        {
            var networks = zip.Entries.Where(e => e.FullName.StartsWith("PriorNetworks/", StringComparison.Ordinal)).ToList();
            Assert.HasCount(1, networks, string.Join(", ", zip.Entries.Select(e => e.FullName)));
            Assert.IsFalse(zip.Entries.Any(e => e.Name == "PriorNetwork.zip"), "no per-transformer copy");
        }
        var loaded = (TransformerChain<ITransformer>)ml.Model.Load(path, out _);
        var prior = loaded.OfType<PriorMappingTransformer>().ToList();
        Assert.HasCount(3, prior);
        Assert.IsTrue(prior.All(t => ReferenceEquals(t.Network, prior[0].Network)), "one network, loaded once");
        var before = model.Transform(data).GetColumn<float[]>("Score").ToArray();
        var after = loaded.Transform(data).GetColumn<float[]>("Score").ToArray();
        for (int i = 0; i < before.Length; i++)
            CollectionAssert.AreEqual(before[i], after[i]);

        // Disposal: the shared network lives until its last transformer is disposed.
        prior[0].Dispose();
        prior[0].Dispose(); // twice is harmless
        Assert.IsFalse(prior[1].Network.Model.logit_scale.IsInvalid);
        prior[1].Dispose();
        prior[2].Dispose();
        Assert.IsTrue(prior[2].Network.Model.logit_scale.IsInvalid, "native memory released");
        Assert.IsFalse(network.Model.logit_scale.IsInvalid, "a network passed to a catalog method stays the caller's");
    }

    [TestMethod]
    public void NormalisationIsAnOptionAndIsSavedWithTheModel()
    {
        var ml = new MLContext(seed: 1);
        var data = Rows(ml);
        var network = TestNetwork.Instance;
        var standard = ml.Transforms.PriorZeroShotClassification(network, ZeroShotPrompts.CheXpert5).Fit(data);
        var custom = ml
            .Transforms.PriorZeroShotClassification(network, ZeroShotPrompts.CheXpert5, imageMean: 0.2f, imageStd: 0.5f)
            .Fit(data);
        var a = standard.Transform(data).GetColumn<float[]>("Score").First();
        var b = custom.Transform(data).GetColumn<float[]>("Score").First();
        CollectionAssert.AreNotEqual(a, b);
        var path = Path.Combine(SyntheticFixture.NewTempFolder(), "custom.zip");
        ml.Model.Save(custom, data.Schema, path);
        CollectionAssert.AreEqual(b, ml.Model.Load(path, out _).Transform(data).GetColumn<float[]>("Score").First());
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Transforms.PriorImageEmbedding(network, imageStd: 0));
        Assert.AreEqual(TorchSharp.DeviceType.CPU, network.To(ComputeDevice.Cpu).Device.type);
    }

    [TestMethod]
    [DoNotParallelize]
    public void PriorPretrainTakesTheMLContextsSeedHonoursCancellationAndReportsWhatItSkipped()
    {
        IDataView Studies(MLContext ml) => ml.Data.TakeRows(ml.Data.LoadMimicCxr(TrainingFixture.Instance.Root), 32);
        float[] Weights(PriorPretrainTransformer t) => t.Network.Model.local_image_projection.weight!.data<float>().ToArray();
        var options = new PriorPretrainOptions
        {
            EpochsPerStage = [1, 0, 0],
            BatchSize = 16,
            Device = ComputeDevice.Cpu,
        };

        var ml7 = new MLContext(seed: 7);
        using var fromContext = ml7.Transforms.PriorPretrain(options).Fit(Studies(ml7));
        var ml1 = new MLContext(seed: 1);
        using var explicitSeven = ml1
            .Transforms.PriorPretrain(
                new PriorPretrainOptions
                {
                    EpochsPerStage = [1, 0, 0],
                    BatchSize = 16,
                    Device = ComputeDevice.Cpu,
                    Seed = 7,
                }
            )
            .Fit(Studies(ml1));
        var ml8 = new MLContext(seed: 8);
        using var fromEight = ml8.Transforms.PriorPretrain(options).Fit(Studies(ml8));
        CollectionAssert.AreEqual(Weights(explicitSeven), Weights(fromContext), "the MLContext's seed 7 = Seed 7");
        CollectionAssert.AreNotEqual(Weights(fromEight), Weights(fromContext), "another MLContext seed, other weights");
        Assert.IsNotNull(fromContext.LoadSummary);
        Assert.AreEqual(32, fromContext.LoadSummary!.Accepted);

        var cancelling = new MLContext(seed: 1);
        var cancel = new PriorPretrainOptions
        {
            EpochsPerStage = [3, 0, 0],
            BatchSize = 8,
            Device = ComputeDevice.Cpu,
            // MLContext.CancelExecution is internal to ML.NET (AutoML and friends call it); reached here as they do.
            Progress = p =>
            {
                if (p.GlobalStep == 2)
                    CancelExecution(cancelling);
            },
        };
        Assert.Throws<OperationCanceledException>(() => cancelling.Transforms.PriorPretrain(cancel).Fit(Studies(cancelling)));
    }

    [TestMethod]
    public void TheDecoupledRecipeSuppliesEveryUnsetSwitchAndAnExplicitSwitchWins()
    {
        var original = new PriorPretrainOptions();
        Assert.AreEqual(PriorRecipe.Original, original.Recipe);
        var model = original.ApplyTo(PriorModelOptions.Tiny);
        Assert.IsFalse(model.DecoupledPrototypeStages);
        Assert.AreEqual(PrototypeLogits.DotProduct, model.PrototypeLogits);
        Assert.AreEqual((StageSchedule.PerStage, false, PrototypeInitialization.Random, false), original.TrainerSwitches());

        var decoupled = new PriorPretrainOptions { Recipe = PriorRecipe.Decoupled };
        model = decoupled.ApplyTo(PriorModelOptions.Tiny);
        Assert.IsTrue(model.DecoupledPrototypeStages);
        Assert.AreEqual(PrototypeLogits.CenteredCosine, model.PrototypeLogits);
        Assert.AreEqual((StageSchedule.Continuous, true, PrototypeInitialization.KMeans, true), decoupled.TrainerSwitches());

        var overridden = new PriorPretrainOptions
        {
            Recipe = PriorRecipe.Decoupled,
            PrototypeLogits = PrototypeLogits.DotProduct,
            StageSchedule = StageSchedule.PerStage,
            RestartUnusedPrototypes = false,
        };
        Assert.AreEqual(PrototypeLogits.DotProduct, overridden.ApplyTo(PriorModelOptions.Tiny).PrototypeLogits);
        Assert.IsTrue(overridden.ApplyTo(PriorModelOptions.Tiny).DecoupledPrototypeStages, "unset: still the recipe's");
        Assert.AreEqual((StageSchedule.PerStage, true, PrototypeInitialization.KMeans, false), overridden.TrainerSwitches());
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            new MLContext().Transforms.PriorPretrain(new PriorPretrainOptions { Recipe = (PriorRecipe)7 })
        );
    }

    // Every model switch PriorPretrainOptions offers must reach the model: a switch added to both classes but not to
    // ApplyTo would be silently ignored by PriorPretrain and by 'prior pretrain'.
    [TestMethod]
    public void EveryModelSwitchOfPriorPretrainOptionsReachesTheModelOptions()
    {
        // Recipe-governed switches are nullable (null: the recipe's); their values are the model's own types.
        static Type Plain(Type t) => Nullable.GetUnderlyingType(t) ?? t;
        // The research switches are internal (the recipe owns them); they must reach the model all the same.
        var shared = typeof(PriorPretrainOptions)
            .GetProperties(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance)
            .Where(p =>
                typeof(PriorModelOptions).GetProperty(p.Name) is { } m
                && m.PropertyType == Plain(p.PropertyType)
                && (m.PropertyType == typeof(bool) || m.PropertyType == typeof(double) || m.PropertyType.IsEnum)
            )
            .ToList();
        var expected = new[]
        {
            "DetachGenerationTargets",
            "KeepRawGlobalAlignment",
            "KeepRawLocalAlignment",
            "ShieldTextTowerFromBank",
            "PrototypePathImageGradient",
            "DecoupledPrototypeStages",
            "PrototypeLogits",
            "PrototypeLogitScale",
        };
        CollectionAssert.IsSubsetOf(expected, shared.Select(p => p.Name).ToArray());
        foreach (var property in shared)
        {
            var options = new PriorPretrainOptions();
            // Unset, a recipe switch takes the original recipe's value, which is what reaches the model by default.
            object current = property.GetValue(options)
                ?? typeof(PriorModelOptions).GetProperty(property.Name)!.GetValue(options.ApplyTo(PriorModelOptions.Tiny))!;
            object changed = current switch
            {
                bool b => !b,
                double d => d / 2,
                // Another member of the enum than the default.
                _ => Enum.GetValues(Plain(property.PropertyType)).Cast<object>().First(v => !v.Equals(current)),
            };
            property.SetValue(options, changed);
            var model = options.ApplyTo(PriorModelOptions.Tiny);
            Assert.AreEqual(changed, typeof(PriorModelOptions).GetProperty(property.Name)!.GetValue(model), property.Name);
        }
        var sized = new PriorPretrainOptions { Prototypes = 7, ImageSize = 96 }.ApplyTo(PriorModelOptions.Tiny);
        Assert.AreEqual((7, 96), (sized.Prototypes, sized.ImageSize));
        Assert.AreEqual(
            PriorModelOptions.Tiny,
            new PriorPretrainOptions().ApplyTo(PriorModelOptions.Tiny),
            "the defaults are the original's"
        );
    }

    // Decoupled stages 2-3 never align the bank's path (its pooling stays as stage 1 left it): a network that embedded
    // reports through it would score zero-shot near chance (docs/training.md), so the fitted one must not.
    [TestMethod]
    [DataRow(false, true)]
    [DataRow(true, false)]
    public void AfterStageTwoReportsGoThroughTheBankUnlessTheStagesWereDecoupled(bool decoupled, bool throughBank)
    {
        var ml = new MLContext(seed: 1);
        var studies = ml.Data.TakeRows(ml.Data.LoadMimicCxr(TrainingFixture.Instance.Root), 32);
        using var fitted = ml
            .Transforms.PriorPretrain(
                new PriorPretrainOptions
                {
                    EpochsPerStage = [1, 1, 0],
                    BatchSize = 16,
                    Device = ComputeDevice.Cpu,
                    DecoupledPrototypeStages = decoupled,
                }
            )
            .Fit(studies);
        Assert.AreEqual(decoupled, fitted.Network.Model.Options.DecoupledPrototypeStages);
        Assert.AreEqual(throughBank, fitted.Network.UsePrototypes);
    }

    [TestMethod]
    public void PriorPretrainTrainsAtTheImageSizeAsked()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new PriorPretrainOptions { ImageSize = 100 }.Validate());
        var ml = new MLContext(seed: 1);
        var studies = ml.Data.TakeRows(ml.Data.LoadMimicCxr(TrainingFixture.Instance.Root), 32);
        using var fitted = ml
            .Transforms.PriorPretrain(
                new PriorPretrainOptions
                {
                    EpochsPerStage = [1, 0, 0],
                    BatchSize = 16,
                    Device = ComputeDevice.Cpu,
                    ImageSize = 96,
                }
            )
            .Fit(studies);
        Assert.AreEqual(96, fitted.Network.Model.Options.ImageSize);
        Assert.AreEqual(
            9,
            fitted.Network.Patches,
            "3 × 3 patches: the local features and attention maps are finer than the tiny preset's 2 × 2"
        );
        Assert.AreEqual(PriorModelOptions.Tiny.EmbeddingDim, fitted.Network.EmbeddingDim, "the rest of the preset stays");
    }

    /// <summary>MLContext.CancelExecution, internal to ML.NET, reached by reflection as AutoML reaches it.</summary>
    internal static void CancelExecution(MLContext ml) =>
        typeof(MLContext)
            .GetMethod(
                "CancelExecution",
                System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public
            )!
            .Invoke(ml, null);

    [TestMethod]
    public void PriorPretrainChecksTheFittedTransformersImageColumnBeforeTraining()
    {
        var ml = new MLContext(seed: 1);
        var studies = ml.Data.TakeRows(ml.Data.LoadMimicCxr(TrainingFixture.Instance.Root), 32);
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.Transforms.PriorPretrain(new PriorPretrainOptions { ImagePathColumnName = MimicCxrColumns.Labels }).Fit(studies)
        );
        StringAssert.Contains(error.Message, $"Input column '{MimicCxrColumns.Labels}' is ");
        StringAssert.Contains(error.Message, "expected image paths (text), an MLImage, or a Single vector of 4096");
        var same = Assert.ThrowsExactly<ArgumentException>(() =>
            ml.Transforms.PriorPretrain(new PriorPretrainOptions { ImageEmbeddingColumnName = "E", ReportEmbeddingColumnName = "E" })
        );
        StringAssert.Contains(same.Message, "are both 'E'");
    }
}
