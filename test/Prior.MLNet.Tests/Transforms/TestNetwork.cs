using Prior.MLNet.Tests.Training;
using Prior.MLNet.Training;
using Prior.MLNet.Transforms;

namespace Prior.MLNet.Tests.Transforms;

/// <summary>One briefly trained network (stages 1–2, tiny) shared by the transformer and persistence tests: they test mechanics, not
/// learning.</summary>
internal static class TestNetwork
{
    private static readonly Lazy<PriorNetwork> Shared = new(
        () =>
        {
            var data = TrainingFixture.Instance;
            var result = new PriorTrainer(TrainingFixture.Options([1, 1, 0])).Train(data.Studies.Take(64).ToList(), data.Tokenizer);
            return new PriorNetwork(result.Model, data.Tokenizer, usePrototypes: true);
        },
        LazyThreadSafetyMode.ExecutionAndPublication
    );

    public static PriorNetwork Instance => Shared.Value;
}
