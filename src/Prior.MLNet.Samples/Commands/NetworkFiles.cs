using Microsoft.ML;
using Microsoft.ML.Data;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Samples.Commands;

/// <summary>Opens the network of a model file or of an ML.NET model zip that holds PRIOR transformers.</summary>
internal static class NetworkFiles
{
    public static PriorNetwork Load(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: the model file does not exist.", path);
        try
        {
            return PriorNetwork.Load(path);
        }
        catch (InvalidDataException first)
        {
            // Not our own model file: an ML.NET model zip whose transformers hold a network?
            ITransformer transformer;
            try
            {
                transformer = new MLContext(seed: 1).Model.Load(path, out _);
            }
            catch (Exception)
            {
                throw first;
            }
            var chain = transformer is TransformerChain<ITransformer> c ? c.ToList() : [transformer];
            return chain.OfType<PriorMappingTransformer>().Select(t => t.Network).FirstOrDefault()
                ?? throw new InvalidDataException($"{path}: an ML.NET model without PRIOR transformers.");
        }
    }
}
