using Microsoft.ML;
using Microsoft.ML.Runtime;
using Prior.MLNet.Evaluation;
using Prior.MLNet.Modeling;

namespace Prior.MLNet.Transforms.Persistence;

/// <summary>
/// Reads and writes the Prior.MLNet transformers inside ML.NET model zips, through ML.NET's (internal) persistence API.
/// Layout of every transformer's entry, version 0x00010001:
/// <code>
/// int32  kind (1 image embedding, 2 report embedding, 3 zero-shot, 4 pretrain = image + report embedding)
/// then per kind, strings as ML.NET's length-prefixed UTF-8 and numbers little-endian:
///   image:    input, output, local output ("" for none), int32 batch size, float mean, float std,
///             [from 0x00010002] int32 unreadable-image handling, error column
///   report:   input, output, int32 batch size
///   zero-shot input, score, predicted label, int32 batch size, int32 classes, int32 prompts per class,
///             then per class its name and prompts, [from 0x00010002] int32 unreadable-image handling, error column
/// binary stream "PriorNetwork.zip": the network, as PriorModelFile writes it
/// </code>
/// Version history: 0x00010001 — first version; 0x00010002 — unreadable-image handling and error column (older
/// models read as Fail).
/// </summary>
internal static class PriorModelPersistence
{
    public const string LoaderSignature = "PriorMLNetTransformer";
    private const string NetworkStream = "PriorNetwork.zip";
    private const uint Version = 0x00010002;
    private const uint FirstVersion = 0x00010001;

    public static VersionInfo GetVersionInfo() => new(
        modelSignature: "PRIORNET",
        verWrittenCur: Version,
        verReadableCur: Version,
        verWeCanReadBack: FirstVersion,
        loaderSignature: LoaderSignature,
        loaderAssemblyName: typeof(PriorModelPersistence).Assembly.FullName);

    public static void Save(ModelSaveContext ctx, PriorMappingTransformer transformer)
    {
        ctx.CheckAtModel();
        ctx.SetVersionInfo(GetVersionInfo());
        var w = ctx.Writer;
        switch (transformer)
        {
            case PriorImageEmbeddingTransformer:
                w.Write(1);
                WriteImage(w, (ImageEmbeddingMapper)transformer.Mappers[0]);
                break;
            case PriorReportEmbeddingTransformer:
                w.Write(2);
                WriteReport(w, (ReportEmbeddingMapper)transformer.Mappers[0]);
                break;
            case PriorZeroShotTransformer:
                w.Write(3);
                var z = (ZeroShotMapper)transformer.Mappers[0];
                w.Write(z.InputColumnName); w.Write(z.ScoreColumnName); w.Write(z.PredictedLabelColumnName); w.Write(z.BatchSize);
                var prompts = z.Classifier.Prompts;
                w.Write(prompts.Count);
                w.Write(prompts.Values.First().Count);
                foreach (var (name, list) in prompts)
                {
                    w.Write(name);
                    foreach (var prompt in list) w.Write(prompt);
                }
                w.Write((int)z.Handling); w.Write(z.ErrorColumnName);
                break;
            case PriorPretrainTransformer:
                w.Write(4);
                WriteImage(w, (ImageEmbeddingMapper)transformer.Mappers[0]);
                WriteReport(w, (ReportEmbeddingMapper)transformer.Mappers[1]);
                break;
            default:
                throw new NotSupportedException($"{transformer.GetType().Name} cannot be saved.");
        }
        var network = transformer.Network;
        ctx.SaveBinaryStream(NetworkStream, writer =>
        {
            lock (network.Gate)
            {
                using var guard = Training.TorchGcGuard.Enter();
                PriorModelFile.Save(writer.BaseStream, network.Model, network.Tokenizer, network.UsePrototypes, network.Inference);
            }
        });
    }

    public static PriorMappingTransformer Load(IHostEnvironment env, ModelLoadContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ctx.CheckAtModel(GetVersionInfo());
        var r = ctx.Reader;
        bool handlingStored = ctx.Header.ModelVerWritten >= 0x00010002;
        int kind = r.ReadInt32();
        PriorNetwork? network = null;
        if (!ctx.TryLoadBinaryStream(NetworkStream, reader =>
            {
                using var copy = new MemoryStream();
                reader.BaseStream.CopyTo(copy);
                copy.Position = 0;
                var loaded = PriorModelFile.Load(copy, $"{NetworkStream} inside the ML.NET model");
                network = new PriorNetwork(loaded.Model, loaded.Tokenizer, loaded.UsePrototypes, loaded.Inference);
            }) || network is null)
        {
            throw new InvalidDataException($"The ML.NET model has no {NetworkStream}: it was not written by Prior.MLNet, or it is truncated.");
        }
        switch (kind)
        {
            case 1:
                return new PriorImageEmbeddingTransformer(network, ReadImage(r, network, handlingStored));
            case 2:
                return new PriorReportEmbeddingTransformer(network, ReadReport(r, network));
            case 3:
            {
                string input = r.ReadString(), score = r.ReadString(), predicted = r.ReadString();
                int batch = r.ReadInt32(), classes = r.ReadInt32(), perClass = r.ReadInt32();
                var prompts = new Dictionary<string, IReadOnlyList<string>>();
                for (int c = 0; c < classes; c++)
                {
                    var name = r.ReadString();
                    prompts[name] = Enumerable.Range(0, perClass).Select(_ => r.ReadString()).ToList();
                }
                var (handling, error) = ReadHandling(r, handlingStored);
                var classifier = new ZeroShotClassifier(network.Model, network.Tokenizer, network.UsePrototypes, prompts,
                    network.Inference.ZeroShotImageMean, network.Inference.ZeroShotImageStd);
                return new PriorZeroShotTransformer(network, new ZeroShotMapper(network, classifier, input, score, predicted, batch, handling, error), classifier.Classes);
            }
            case 4:
                return new PriorPretrainTransformer(network, [ReadImage(r, network, handlingStored), ReadReport(r, network)], null);
            default:
                throw new InvalidDataException($"Unknown Prior.MLNet transformer kind {kind} in the ML.NET model.");
        }
    }

    private static void WriteImage(BinaryWriter w, ImageEmbeddingMapper m)
    {
        w.Write(m.InputColumnName); w.Write(m.OutputColumnName); w.Write(m.LocalOutputColumnName ?? string.Empty);
        w.Write(m.BatchSize); w.Write(m.Mean); w.Write(m.Std);
        w.Write((int)m.Handling); w.Write(m.ErrorColumnName);
    }

    private static ImageEmbeddingMapper ReadImage(BinaryReader r, PriorNetwork network, bool handlingStored)
    {
        string input = r.ReadString(), output = r.ReadString(), local = r.ReadString();
        int batch = r.ReadInt32();
        float mean = r.ReadSingle(), std = r.ReadSingle();
        var (handling, error) = ReadHandling(r, handlingStored);
        return new ImageEmbeddingMapper(network, input, output, local.Length == 0 ? null : local, batch, mean, std, handling, error);
    }

    private static (UnreadableImageHandling Handling, string ErrorColumn) ReadHandling(BinaryReader r, bool stored)
    {
        if (!stored) return (UnreadableImageHandling.Fail, PriorCatalog.DefaultImageErrorColumnName);
        var handling = (UnreadableImageHandling)r.ReadInt32();
        if (!Enum.IsDefined(handling))
            throw new InvalidDataException($"The ML.NET model holds an unknown unreadable-image handling ({(int)handling}).");
        return (handling, r.ReadString());
    }

    private static void WriteReport(BinaryWriter w, ReportEmbeddingMapper m)
    {
        w.Write(m.InputColumnName); w.Write(m.OutputColumnName); w.Write(m.BatchSize);
    }

    private static ReportEmbeddingMapper ReadReport(BinaryReader r, PriorNetwork network) =>
        new(network, r.ReadString(), r.ReadString(), r.ReadInt32());
}
