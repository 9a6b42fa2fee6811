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
///             then per class its name and prompts, [from 0x00010002] int32 unreadable-image handling, error column,
///             [from 0x00010003] float mean, float std
/// from 0x00010003: the network is stored once per model zip, however many transformers use it: each transformer
/// writes the network's id (string) right after its kind, and the repository entry "PriorNetworks/{id}.zip" holds the
/// network as PriorModelFile writes it; loading creates one network per id, shared by its transformers.
/// before: binary stream "PriorNetwork.zip" of each transformer: its own copy of the network
/// </code>
/// Version history: 0x00010001 — first version; 0x00010002 — unreadable-image handling and error column (older
/// models read as Fail); 0x00010003 — one network per model zip, referenced by id; 0x00010004 — kind 5, the report
/// draft (input, output, batch size, mean, std, handling, error column), its network holding a sentence memory;
/// 0x00010005 — the draft's int32 method (<see cref="Generation.ReportDraftMethod"/>) after its error column (older
/// drafts read as Prototype, the only method there was).
/// </summary>
internal static class PriorModelPersistence
{
    public const string LoaderSignature = "PriorMLNetTransformer";
    private const string NetworkStream = "PriorNetwork.zip";
    private const uint Version = 0x00010005;
    private const string NetworkFolder = "PriorNetworks";

    // Which networks a model being written already holds, and which a model being read has loaded: per repository.
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<RepositoryWriter, HashSet<Guid>> Written = new();
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<RepositoryReader, Dictionary<string, PriorNetwork>> Read =
        new();
    private const uint FirstVersion = 0x00010001;

    public static VersionInfo GetVersionInfo() =>
        new(
            modelSignature: "PRIORNET",
            verWrittenCur: Version,
            verReadableCur: Version,
            verWeCanReadBack: FirstVersion,
            loaderSignature: LoaderSignature,
            loaderAssemblyName: typeof(PriorModelPersistence).Assembly.FullName
        );

    public static void Save(ModelSaveContext ctx, PriorMappingTransformer transformer)
    {
        ctx.CheckAtModel();
        ctx.SetVersionInfo(GetVersionInfo());
        var w = ctx.Writer;
        int kind = transformer switch
        {
            PriorImageEmbeddingTransformer => 1,
            PriorReportEmbeddingTransformer => 2,
            PriorZeroShotTransformer => 3,
            PriorPretrainTransformer => 4,
            PriorReportDraftTransformer => 5,
            _ => throw new NotSupportedException($"{transformer.GetType().Name} cannot be saved."),
        };
        w.Write(kind);
        var network = transformer.Network;
        w.Write(network.Id.ToString("N"));
        switch (transformer)
        {
            case PriorImageEmbeddingTransformer:
                WriteImage(w, (ImageEmbeddingMapper)transformer.Mappers[0]);
                break;
            case PriorReportEmbeddingTransformer:
                WriteReport(w, (ReportEmbeddingMapper)transformer.Mappers[0]);
                break;
            case PriorZeroShotTransformer:
                var z = (ZeroShotMapper)transformer.Mappers[0];
                w.Write(z.InputColumnName);
                w.Write(z.ScoreColumnName);
                w.Write(z.PredictedLabelColumnName);
                w.Write(z.BatchSize);
                var prompts = z.Classifier.Prompts;
                w.Write(prompts.Count);
                w.Write(prompts.Values.First().Count);
                foreach (var (name, list) in prompts)
                {
                    w.Write(name);
                    foreach (var prompt in list)
                        w.Write(prompt);
                }
                w.Write((int)z.Handling);
                w.Write(z.ErrorColumnName);
                w.Write(z.Classifier.Preprocessor.Mean);
                w.Write(z.Classifier.Preprocessor.Std);
                break;
            case PriorReportDraftTransformer:
                var d = (ReportDraftMapper)transformer.Mappers[0];
                w.Write(d.InputColumnName);
                w.Write(d.OutputColumnName);
                w.Write(d.BatchSize);
                w.Write(d.Mean);
                w.Write(d.Std);
                w.Write((int)d.Handling);
                w.Write(d.ErrorColumnName);
                w.Write((int)d.Method);
                break;
            case PriorPretrainTransformer:
                WriteImage(w, (ImageEmbeddingMapper)transformer.Mappers[0]);
                WriteReport(w, (ReportEmbeddingMapper)transformer.Mappers[1]);
                break;
            default:
                throw new NotSupportedException($"{transformer.GetType().Name} cannot be saved.");
        }
        bool first;
        lock (Written)
            first = Written.GetOrCreateValue(ctx.Repository).Add(network.Id);
        if (first)
        {
            using var entry = ctx.Repository.CreateEntry(NetworkFolder, network.Id.ToString("N") + ".zip");
            lock (network.Gate)
            {
                using var guard = Training.TorchGcGuard.Enter();
                PriorModelFile.Save(
                    entry.Stream,
                    network.Model,
                    network.Tokenizer,
                    network.UsePrototypes,
                    network.Inference,
                    network.SentenceMemory
                );
            }
        }
    }

    public static PriorMappingTransformer Load(IHostEnvironment env, ModelLoadContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ctx.CheckAtModel(GetVersionInfo());
        var r = ctx.Reader;
        bool handlingStored = ctx.Header.ModelVerWritten >= 0x00010002;
        int kind = r.ReadInt32();
        var network = ctx.Header.ModelVerWritten >= 0x00010003 ? SharedNetwork(ctx, r.ReadString()) : OwnNetwork(ctx);
        var transformer = Create(
            kind,
            r,
            network,
            handlingStored,
            ctx.Header.ModelVerWritten >= 0x00010003,
            ctx.Header.ModelVerWritten >= 0x00010005
        );
        return transformer;
    }

    // 0x00010003 on: the network stored once under PriorNetworks/{id}.zip, loaded once per model and shared.
    private static PriorNetwork SharedNetwork(ModelLoadContext ctx, string id)
    {
        lock (Read)
        {
            var loaded = Read.GetOrCreateValue(ctx.Repository);
            if (loaded.TryGetValue(id, out var shared))
                return shared.AddReference();
            var entry = ctx.Repository.OpenEntryOrNull(NetworkFolder, id + ".zip")
                ?? throw new InvalidDataException(
                    $"The ML.NET model lacks {NetworkFolder}/{id}.zip: it is truncated or was not written by Prior.MLNet."
                );
            using (entry)
            {
                using var copy = new MemoryStream();
                entry.Stream.CopyTo(copy);
                copy.Position = 0;
                var file = PriorModelFile.Load(copy, $"{NetworkFolder}/{id}.zip inside the ML.NET model");
                var network = new PriorNetwork(file.Model, file.Tokenizer, file.UsePrototypes, file.Inference)
                {
                    SentenceMemory = file.SentenceMemory,
                };
                loaded[id] = network;
                return network;
            }
        }
    }

    // Before 0x00010003: every transformer carried its own copy of the network.
    private static PriorNetwork OwnNetwork(ModelLoadContext ctx)
    {
        PriorNetwork? network = null;
        if (!ctx.TryLoadBinaryStream(NetworkStream, reader =>
            {
                using var copy = new MemoryStream();
                reader.BaseStream.CopyTo(copy);
                copy.Position = 0;
                var loaded = PriorModelFile.Load(copy, $"{NetworkStream} inside the ML.NET model");
                network = new PriorNetwork(loaded.Model, loaded.Tokenizer, loaded.UsePrototypes, loaded.Inference)
                {
                    SentenceMemory = loaded.SentenceMemory,
                };
            }) || network is null)
        {
            throw new InvalidDataException(
                $"The ML.NET model has no {NetworkStream}: it was not written by Prior.MLNet, or it is truncated."
            );
        }
        return network;
    }

    private static PriorMappingTransformer Create(
        int kind,
        BinaryReader r,
        PriorNetwork network,
        bool handlingStored,
        bool sharedNetwork,
        bool methodStored
    )
    {
        switch (kind)
        {
            case 1:
                return new PriorImageEmbeddingTransformer(network, ReadImage(r, network, handlingStored)) { OwnsNetwork = true };
            case 2:
                return new PriorReportEmbeddingTransformer(network, ReadReport(r, network)) { OwnsNetwork = true };
            case 3:
            {
                string input = r.ReadString(),
                    score = r.ReadString(),
                    predicted = r.ReadString();
                int batch = r.ReadInt32(),
                    classes = r.ReadInt32(),
                    perClass = r.ReadInt32();
                var prompts = new Dictionary<string, IReadOnlyList<string>>();
                for (int c = 0; c < classes; c++)
                {
                    var name = r.ReadString();
                    prompts[name] = Enumerable.Range(0, perClass).Select(_ => r.ReadString()).ToList();
                }
                var (handling, error) = ReadHandling(r, handlingStored);
                // Normalisation stored from 0x00010003; earlier models used the network's setting.
                float mean = sharedNetwork ? r.ReadSingle() : network.Inference.ZeroShotImageMean;
                float std = sharedNetwork ? r.ReadSingle() : network.Inference.ZeroShotImageStd;
                var classifier = new ZeroShotClassifier(network.Model, network.Tokenizer, network.UsePrototypes, prompts, mean, std);
                return new PriorZeroShotTransformer(
                    network,
                    new ZeroShotMapper(network, classifier, input, score, predicted, batch, handling, error),
                    classifier.Classes
                )
                {
                    OwnsNetwork = true,
                };
            }
            case 4:
                return new PriorPretrainTransformer(network, [ReadImage(r, network, handlingStored), ReadReport(r, network)], null)
                {
                    OwnsNetwork = true,
                };
            case 5:
            {
                string input = r.ReadString(),
                    output = r.ReadString();
                int batch = r.ReadInt32();
                float mean = r.ReadSingle(),
                    std = r.ReadSingle();
                var (handling, error) = ReadHandling(r, true);
                var method = methodStored ? (Generation.ReportDraftMethod)r.ReadInt32() : Generation.ReportDraftMethod.Prototype;
                if (!Enum.IsDefined(method))
                    throw new InvalidDataException($"The ML.NET model's report draft has an unknown method {(int)method}.");
                if (network.SentenceMemory is null)
                    throw new InvalidDataException(
                        "The ML.NET model holds a report-draft transformer but its network has no sentence memory."
                    );
                return new PriorReportDraftTransformer(
                    network,
                    new ReportDraftMapper(network, input, output, batch, mean, std, handling, error, method)
                )
                {
                    OwnsNetwork = true,
                };
            }
            default:
                throw new InvalidDataException($"Unknown Prior.MLNet transformer kind {kind} in the ML.NET model.");
        }
    }

    private static void WriteImage(BinaryWriter w, ImageEmbeddingMapper m)
    {
        w.Write(m.InputColumnName);
        w.Write(m.OutputColumnName);
        w.Write(m.LocalOutputColumnName ?? string.Empty);
        w.Write(m.BatchSize);
        w.Write(m.Mean);
        w.Write(m.Std);
        w.Write((int)m.Handling);
        w.Write(m.ErrorColumnName);
    }

    private static ImageEmbeddingMapper ReadImage(BinaryReader r, PriorNetwork network, bool handlingStored)
    {
        string input = r.ReadString(),
            output = r.ReadString(),
            local = r.ReadString();
        int batch = r.ReadInt32();
        float mean = r.ReadSingle(),
            std = r.ReadSingle();
        var (handling, error) = ReadHandling(r, handlingStored);
        return new ImageEmbeddingMapper(network, input, output, local.Length == 0 ? null : local, batch, mean, std, handling, error);
    }

    private static (UnreadableImageHandling Handling, string ErrorColumn) ReadHandling(BinaryReader r, bool stored)
    {
        if (!stored)
            return (UnreadableImageHandling.Fail, Defaults.ImageErrorColumnName);
        var handling = (UnreadableImageHandling)r.ReadInt32();
        if (!Enum.IsDefined(handling))
            throw new InvalidDataException($"The ML.NET model holds an unknown unreadable-image handling ({(int)handling}).");
        return (handling, r.ReadString());
    }

    private static void WriteReport(BinaryWriter w, ReportEmbeddingMapper m)
    {
        w.Write(m.InputColumnName);
        w.Write(m.OutputColumnName);
        w.Write(m.BatchSize);
    }

    private static ReportEmbeddingMapper ReadReport(BinaryReader r, PriorNetwork network) =>
        new(network, r.ReadString(), r.ReadString(), r.ReadInt32());
}
