using Prior.MLNet.Data.Images;
using Prior.MLNet.Modeling;
using Prior.MLNet.Text;
using Prior.MLNet.Training;
using Prior.MLNet.Transforms;
using static TorchSharp.torch;

namespace Prior.MLNet.Evaluation;

/// <summary>Image↔report retrieval Precision@K on studies (each study's own report is the one relevant item).</summary>
internal static class Retrieval
{
    /// <summary>Rows of the similarity matrix computed at once (memory grows as this × N, not N × N).</summary>
    internal const int SimilarityBlock = 1024;

    /// <summary>
    /// Embeds every study (first image, sentences in order, no augmentation) and measures retrieval. A study whose
    /// image cannot be read fails the evaluation, naming it, or with <see cref="UnreadableImageHandling.Skip"/> is left
    /// out and its reason added to <paramref name="skipped"/>. <paramref name="images"/> normalises as the model embeds
    /// (<see cref="PriorNetwork.ImagePreprocessor"/> for a network).
    /// </summary>
    public static PriorRetrievalMetrics Evaluate(
        PriorModel model,
        ReportTokenizer tokenizer,
        ImagePreprocessor images,
        IReadOnlyList<TrainingStudy> studies,
        bool usePrototypes,
        int batchSize = Defaults.InferenceBatchSize,
        UnreadableImageHandling unreadableImages = UnreadableImageHandling.Fail,
        ICollection<string>? skipped = null
    )
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(studies);
        var (imageEmbeddings, reports) = Embed(model, tokenizer, images, studies, usePrototypes, batchSize, unreadableImages, skipped);
        long readable = imageEmbeddings.shape[0];
        if (readable < 2)
        {
            imageEmbeddings.Dispose();
            reports.Dispose();
            throw new ArgumentException($"Retrieval needs at least two studies with a readable image; {readable} left.", nameof(studies));
        }
        var result = Score(imageEmbeddings, reports, SimilarityBlock);
        imageEmbeddings.Dispose();
        reports.Dispose();
        return result;
    }

    /// <summary>Precision@1/5 both ways from normalised embeddings [N, E], row i of each being the same study.</summary>
    internal static PriorRetrievalMetrics Score(Tensor images, Tensor reports, int block)
    {
        int n = (int)images.shape[0],
            k = Math.Min(5, n);
        long hits1 = 0,
            hits5 = 0,
            textHits1 = 0,
            textHits5 = 0;
        using (TorchGcGuard.Enter())
        {
            // Blocks of rows against all columns: memory grows as Block × N, not N × N.
            for (int start = 0; start < n; start += block)
            {
                using var scope = NewDisposeScope();
                int rows = Math.Min(block, n - start);
                var truth = arange(start, start + rows, dtype: ScalarType.Int64).unsqueeze(1);
                var imageRows = images.narrow(0, start, rows).matmul(reports.t()); // [rows, N]: images against reports
                hits1 += imageRows.topk(1, 1).indexes.eq(truth).any(1).sum().item<long>();
                hits5 += imageRows.topk(k, 1).indexes.eq(truth).any(1).sum().item<long>();
                var reportRows = reports.narrow(0, start, rows).matmul(images.t()); // [rows, N]: reports against images
                textHits1 += reportRows.topk(1, 1).indexes.eq(truth).any(1).sum().item<long>();
                textHits5 += reportRows.topk(k, 1).indexes.eq(truth).any(1).sum().item<long>();
            }
        }
        return new PriorRetrievalMetrics((double)hits1 / n, (double)hits5 / n, (double)textHits1 / n, (double)textHits5 / n, n);
    }

    /// <summary>
    /// L2-normalised global image and report embeddings [N, E] on the CPU, one row per study whose first image reads.
    /// An unreadable image fails naming its row and file, or with <see cref="UnreadableImageHandling.Skip"/> leaves its
    /// study out and adds the reason to <paramref name="skipped"/>.
    /// </summary>
    public static (Tensor Images, Tensor Reports) Embed(
        PriorModel model,
        ReportTokenizer tokenizer,
        ImagePreprocessor preprocessor,
        IReadOnlyList<TrainingStudy> studies,
        bool usePrototypes,
        int batchSize = Defaults.InferenceBatchSize,
        UnreadableImageHandling unreadableImages = UnreadableImageHandling.Fail,
        ICollection<string>? skipped = null
    )
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(preprocessor);
        if (preprocessor.Size != model.Options.ImageSize)
            throw new ArgumentException(
                $"The preprocessor makes {preprocessor.Size}-pixel images; the model takes {model.Options.ImageSize}.",
                nameof(preprocessor)
            );
        var device = model.logit_scale.device;
        var imageParts = new List<Tensor>();
        var reportParts = new List<Tensor>();
        model.eval();
        using (no_grad())
        {
            for (int start = 0; start < studies.Count; start += batchSize)
            {
                using var guard = TorchGcGuard.Enter();
                using var scope = NewDisposeScope();
                var all = studies.Skip(start).Take(batchSize).ToList();
                var (decoded, errors) = ImageBatch.Decode(
                    all.Select(s => (object)s.ImagePaths[0]).ToList(),
                    preprocessor,
                    unreadableImages,
                    start
                );
                foreach (var error in errors.OfType<string>())
                    skipped?.Add(error);
                var chunk = Enumerable.Range(0, all.Count).Where(i => decoded[i] is not null).Select(i => all[i]).ToList();
                if (chunk.Count == 0)
                    continue;
                int size = model.Options.ImageSize,
                    length = tokenizer.MaxLength;
                var pixels = decoded.OfType<float[]>().SelectMany(p => p).ToArray();
                var encoded = chunk.Select(s => tokenizer.Encode(s.Sentences)).ToList();
                var images = tensor(pixels, [chunk.Count, 1, size, size]).to(device);
                var ids = tensor(encoded.SelectMany(e => e.InputIds).ToArray(), [chunk.Count, length]).to(device);
                var mask = tensor(encoded.SelectMany(e => e.AttentionMask).ToArray(), [chunk.Count, length]).to(device);
                var index = tensor(encoded.SelectMany(e => e.SentenceIndex).ToArray(), [chunk.Count, length]).to(device);
                var (global, _) = model.EncodeImage(images);
                imageParts.Add(nn.functional.normalize(global, dim: 1).cpu().MoveToOuterDisposeScope());
                reportParts.Add(
                    nn.functional.normalize(model.EmbedReports(ids, mask, index, usePrototypes), dim: 1).cpu().MoveToOuterDisposeScope()
                );
            }
        }
        int e = model.Options.EmbeddingDim;
        var result = imageParts.Count == 0 ? (zeros(0, e), zeros(0, e)) : (cat(imageParts, 0), cat(reportParts, 0));
        imageParts.ForEach(t => t.Dispose());
        reportParts.ForEach(t => t.Dispose());
        return result;
    }
}
