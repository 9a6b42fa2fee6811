using Microsoft.ML;
using Microsoft.ML.Runtime;
using Prior.MLNet.Transforms;
using Prior.MLNet.Transforms.Persistence;

// ML.NET finds this loader by the signature written in the model (no registration call needed in the loading process).
[assembly: LoadableClass(
    typeof(PriorMappingTransformer),
    typeof(PriorTransformerLoader),
    null,
    typeof(SignatureLoadModel),
    "Prior.MLNet transformer",
    PriorModelPersistence.LoaderSignature
)]

namespace Prior.MLNet.Transforms.Persistence;

/// <summary>The entry point ML.NET calls to load any Prior.MLNet transformer from a model zip.</summary>
internal sealed class PriorTransformerLoader
{
    /// <summary>Loads the transformer saved at <paramref name="ctx"/>.</summary>
    public static PriorMappingTransformer Create(IHostEnvironment env, ModelLoadContext ctx) => PriorModelPersistence.Load(env, ctx);

    private PriorTransformerLoader() { }
}
