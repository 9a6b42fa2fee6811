using Microsoft.ML;
using Microsoft.ML.Data;

namespace Prior.MLNet.Transforms;

/// <summary>
/// The estimator of an already-trained network's transformer: <see cref="Fit"/> only checks the input schema (there is
/// nothing to learn), so the transformers chain into ML.NET pipelines like any other.
/// </summary>
/// <typeparam name="TTransformer">The transformer it yields.</typeparam>
public sealed class PriorTransformerEstimator<TTransformer> : IEstimator<TTransformer>
    where TTransformer : PriorMappingTransformer
{
    private readonly TTransformer _transformer;

    internal PriorTransformerEstimator(TTransformer transformer) => _transformer = transformer;

    /// <inheritdoc />
    public TTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        _transformer.GetOutputSchema(input.Schema);
        return _transformer;
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => PriorSchemaShapes.Extend(inputSchema, _transformer.Mappers);
}

/// <summary>Schema-shape arithmetic shared by the estimators.</summary>
internal static class PriorSchemaShapes
{
    /// <summary>Checks each mapper's input column exists in <paramref name="input"/> and adds its outputs.</summary>
    public static SchemaShape Extend(SchemaShape input, IReadOnlyList<BatchedColumnMapper> mappers)
    {
        ArgumentNullException.ThrowIfNull(input);
        var columns = input.ToList();
        foreach (var mapper in mappers)
        {
            if (!columns.Any(c => c.Name == mapper.InputColumnName))
                throw new ArgumentOutOfRangeException(
                    nameof(input),
                    $"Input column '{mapper.InputColumnName}' not found; the input has: {string.Join(", ", columns.Select(c => c.Name))}."
                );
            var builder = new DataViewSchema.Builder();
            foreach (var (name, type, annotations) in mapper.OutputColumns)
                builder.AddColumn(name, type, annotations);
            var outputs = ShapeOf(builder.ToSchema());
            columns.RemoveAll(c => outputs.Any(o => o.Name == c.Name));
            columns.AddRange(outputs);
        }
        return new SchemaShape(columns);
    }

    internal static SchemaShape ShapeOf(DataViewSchema schema) => Persistence.MLNetInternals.ShapeOf(schema);
}
