using Microsoft.ML;
using Microsoft.ML.Runtime;
using Prior.MLNet.Downstream;
using Prior.MLNet.Trainers;
using Prior.MLNet.Transforms.Persistence;

// ML.NET finds this loader by the signature written in the model (no registration call needed in the loading process).
[assembly: LoadableClass(
    typeof(PriorDownstreamTransformer),
    typeof(PriorDownstreamPersistence),
    null,
    typeof(SignatureLoadModel),
    "Prior.MLNet downstream transformer",
    PriorDownstreamPersistence.LoaderSignature
)]

namespace Prior.MLNet.Transforms.Persistence;

/// <summary>
/// Reads and writes <see cref="PriorDownstreamTransformer"/> inside ML.NET model zips. Layout, version 0x00010001:
/// <code>
/// string image column, int32 outputs, then each output column's name, int32 inference batch size;
/// binary stream "DownstreamModel.zip": the network as DownstreamModel.Save writes it (task, architecture,
/// normalisation, labels or score threshold, weights)
/// </code>
/// </summary>
internal sealed class PriorDownstreamPersistence
{
    public const string LoaderSignature = "PriorMLNetDownstream";
    private const string ModelStream = "DownstreamModel.zip";
    private const uint Version = 0x00010001;

    private static VersionInfo GetVersionInfo() =>
        new(
            modelSignature: "PRIORDWN",
            verWrittenCur: Version,
            verReadableCur: Version,
            verWeCanReadBack: Version,
            loaderSignature: LoaderSignature,
            loaderAssemblyName: typeof(PriorDownstreamPersistence).Assembly.FullName
        );

    public static void Save(ModelSaveContext ctx, PriorDownstreamTransformer transformer)
    {
        ctx.CheckAtModel();
        ctx.SetVersionInfo(GetVersionInfo());
        var mapper = transformer.Mapper;
        ctx.Writer.Write(mapper.InputColumnName);
        ctx.Writer.Write(mapper.OutputColumnNames.Count);
        foreach (var name in mapper.OutputColumnNames)
            ctx.Writer.Write(name);
        ctx.Writer.Write(mapper.BatchSize);
        ctx.SaveBinaryStream(ModelStream, w => transformer.Model.Save(w.BaseStream));
    }

    /// <summary>The entry point ML.NET calls to load the transformer saved at <paramref name="ctx"/>.</summary>
    public static PriorDownstreamTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ctx.CheckAtModel(GetVersionInfo());
        var r = ctx.Reader;
        string input = r.ReadString();
        int count = r.ReadInt32();
        if (count is < 1 or > 2)
            throw new InvalidDataException($"The ML.NET model's PRIOR downstream transformer names {count} outputs; 1 or 2 expected.");
        var outputs = Enumerable.Range(0, count).Select(_ => r.ReadString()).ToList();
        int batch = r.ReadInt32();
        DownstreamModel? model = null;
        if (!ctx.TryLoadBinaryStream(ModelStream, reader =>
            {
                using var copy = new MemoryStream();
                reader.BaseStream.CopyTo(copy);
                copy.Position = 0;
                model = DownstreamModel.Load(copy, $"{ModelStream} inside the ML.NET model");
            }) || model is null)
            throw new InvalidDataException(
                $"The ML.NET model has no {ModelStream}: it was not written by Prior.MLNet, or it is truncated."
            );
        int expected = model.Task == DownstreamTask.Detection ? 2 : 1;
        if (outputs.Count != expected)
        {
            model.Dispose();
            throw new InvalidDataException(
                $"The ML.NET model's {model.Task} transformer names {outputs.Count} outputs; {expected} expected."
            );
        }
        return new PriorDownstreamTransformer(new DownstreamMapper(model, input, outputs, batch));
    }
}
