using Prior.MLNet.Data;
using Prior.MLNet.Data.Images;
using Prior.MLNet.Tests.Training;
using Prior.MLNet.Training;

namespace Prior.MLNet.Tests.Data.Images;

[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class ImageCacheTests
{
    private static string ImagesFolder => Path.Combine(RepositoryPaths.TestData, "images");

    // A dataset root with a radiograph-sized JPEG, the test images in several forms, and a broken file.
    private static (string Root, List<string> Paths) Dataset()
    {
        var root = SyntheticFixture.NewTempFolder();
        var files = Path.Combine(root, "files", "p10");
        Directory.CreateDirectory(files);
        var random = new DeterministicRandom(5);
        var pixels = Enumerable.Range(0, 1200 * 900).Select(i => (byte)(i % 1200 / 5 + random.Next(20))).ToArray();
        var paths = new List<string> { Path.Combine(files, "large.jpg") };
        File.WriteAllBytes(paths[0], GrayscaleJpeg.Encode(pixels, 1200, 900));
        foreach (var name in new[] { "gray-progressive.jpg", "rgb.png", "rgb-exif-rotated.jpg", "huge-4200x3400.jpg", "truncated.jpg" })
        {
            var copy = Path.Combine(files, name);
            File.Copy(Path.Combine(ImagesFolder, name), copy);
            paths.Add(copy);
        }
        return (root, paths);
    }

    [TestMethod]
    public void CachedImagesAreWhatThePipelineDecodesAndBrokenOrChangedFilesAreNotServed()
    {
        var (root, paths) = Dataset();
        const int side = 24;
        var cachePath = Path.Combine(root, ImageCache.FileName(side));
        var failures = ImageCache.Build(paths, side, cachePath);
        Assert.HasCount(1, failures);
        StringAssert.Contains(failures[0], "truncated.jpg");
        StringAssert.Contains(failures[0], "truncated");
        Assert.IsFalse(Directory.EnumerateFiles(root, "*.tmp").Any(), "no temporary file is left");

        using var cache = new ImageCache(cachePath);
        Assert.AreEqual((side, 6), (cache.Side, cache.Count));
        var buffer = new byte[side * side];
        foreach (var path in paths.Where(p => !p.EndsWith("truncated.jpg", StringComparison.Ordinal)))
        {
            Assert.IsTrue(cache.TryRead(path, buffer), path);
            var (gray, w, h) = GrayscaleImage.Read(path, 2 * side);
            CollectionAssert.AreEqual(AreaResize.Downscale(gray, w, h, side, side), buffer, path);
        }
        Assert.IsFalse(cache.TryRead(paths[^1], buffer), "an image that failed to decode is not served");
        Assert.IsFalse(cache.TryRead(Path.Combine(root, "files", "absent.jpg"), buffer));

        // A file changed after caching is decoded from the file again.
        File.SetLastWriteTimeUtc(paths[0], DateTime.UtcNow.AddMinutes(5));
        Assert.IsFalse(cache.TryRead(paths[0], buffer));

        // The pipeline reads from the cache where it can, and decodes the rest.
        var preprocessor = new ImagePreprocessor(side) { Cache = cache };
        var viaCache = preprocessor.Load(paths[1], null);
        var (g1, w1, h1) = GrayscaleImage.Read(paths[1], 2 * side);
        CollectionAssert.AreEqual(
            new ImagePreprocessor(side).FromGray(AreaResize.Downscale(g1, w1, h1, side, side), side, side, null),
            viaCache
        );
        preprocessor.Load(paths[0], null);
        Assert.AreEqual((1L, 1L), (preprocessor.CacheHits, preprocessor.CacheMisses));
        Assert.ThrowsExactly<ArgumentException>(() => new ImagePreprocessor(2 * side) { Cache = cache });
    }

    [TestMethod]
    public void DamagedOrForeignCacheFilesAndImagesOutsideTheRootAreNamedErrors()
    {
        var (root, paths) = Dataset();
        var cachePath = Path.Combine(root, ImageCache.FileName(16));
        ImageCache.Build(paths.Take(2).ToList(), 16, cachePath);
        var cut = Path.Combine(root, "cut.bin");
        var bytes = File.ReadAllBytes(cachePath);
        File.WriteAllBytes(cut, bytes.AsSpan(0, bytes.Length - 100).ToArray());
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => new ImageCache(cut)).Message, "cut.bin");
        StringAssert.Contains(
            Assert.ThrowsExactly<InvalidDataException>(() => new ImageCache(paths[0])).Message,
            "not a PRIOR image cache"
        );
        Assert.ThrowsExactly<FileNotFoundException>(() => new ImageCache(Path.Combine(root, "none.bin")));
        var elsewhere = Path.Combine(SyntheticFixture.NewTempFolder(), "cache.bin");
        Directory.CreateDirectory(Path.Combine(Path.GetDirectoryName(elsewhere)!, "sub"));
        StringAssert.Contains(
            Assert
                .ThrowsExactly<ArgumentException>(() =>
                    ImageCache.Build(paths, 16, Path.Combine(Path.GetDirectoryName(elsewhere)!, "sub", "c.bin"))
                )
                .Message,
            "under that folder"
        );
    }

    [TestMethod]
    public void TrainingReadsItsImagesFromTheCache()
    {
        var data = TrainingFixture.Instance;
        var studies = data.Studies.Take(32).ToList();
        var cachePath = Path.Combine(data.Root, ImageCache.FileName(64));
        if (!File.Exists(cachePath))
            Assert.IsEmpty(ImageCache.Build(studies.SelectMany(s => s.ImagePaths).ToList(), 64, cachePath));
        var options = TrainingFixture.Options([1, 0, 0]);
        var result = new PriorTrainer(
            new PriorTrainerOptions
            {
                Model = options.Model,
                EpochsPerStage = options.EpochsPerStage,
                BatchSize = options.BatchSize,
                PeakLearningRates = options.PeakLearningRates,
                StartLearningRates = options.StartLearningRates,
                WarmupEpochs = options.WarmupEpochs,
                Device = ComputeDevice.Cpu,
                Seed = 5,
                Workers = 2,
                ImageCache = cachePath,
            }
        ).Train(studies, data.Tokenizer);
        result.Model.Dispose();
        var notice = result.Notices.Single(n => n.StartsWith("image cache", StringComparison.Ordinal));
        StringAssert.Contains(notice, "32 images read from it, 0 decoded");
    }
}
