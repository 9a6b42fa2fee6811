using Prior.MLNet.Modeling.Bert;
using TorchSharp;
using static TorchSharp.torch;

namespace Prior.MLNet.Tests.Modeling;

[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class BertModelTests
{
    private static readonly BertConfig Small = new(
        VocabSize: 50,
        HiddenSize: 32,
        NumHiddenLayers: 2,
        NumAttentionHeads: 4,
        IntermediateSize: 64,
        MaxPositionEmbeddings: 40
    );

    [TestMethod]
    public void EncoderMatchesTheHuggingFaceReferenceWithPadding()
    {
        using var scope = NewDisposeScope();
        var fixture = ParityFixture.Load("bert_encoder");
        using var bert = new BertModel(Small);
        bert.load_state_dict(ParityFixture.Parameters(fixture, "text_encoder.encoder."), strict: true);
        bert.eval();
        using var noGrad = no_grad();
        var output = bert.call(fixture["input_ids"], fixture["attention_mask"]);
        ParityFixture.AssertClose(fixture["last_hidden_state"], output, "last_hidden_state");
    }

    [TestMethod]
    public void PrototypeDecoderMatchesTheReferenceWithoutAndWithTheCausalMask()
    {
        using var scope = NewDisposeScope();
        var fixture = ParityFixture.Load("prototype_decoder");
        using var decoder = new BertModel(Small with { VocabSize = 0, AddCrossAttention = true });
        decoder.load_state_dict(ParityFixture.Parameters(fixture, "sentence_decoder."), strict: true);
        decoder.eval();
        using var noGrad = no_grad();
        var queries = fixture["prototype_queries"].expand(2, -1, -1);
        ParityFixture.AssertClose(fixture["output"], decoder.Decode(queries, fixture["image_patches"]), "no causal mask (our fix)");
        ParityFixture.AssertClose(
            fixture["output_causal"],
            decoder.Decode(queries, fixture["image_patches"], causal: true),
            "causal (original)"
        );
    }

    [TestMethod]
    public void StateDictKeysAreHuggingFacesAndPaddingDoesNotLeakIntoRealTokens()
    {
        using var scope = NewDisposeScope();
        using var bert = new BertModel(Small);
        bert.eval();
        var keys = bert.state_dict().Keys.ToHashSet();
        foreach (
            var key in new[]
            {
                "embeddings.word_embeddings.weight",
                "embeddings.LayerNorm.weight",
                "encoder.layer.1.attention.self.query.weight",
                "encoder.layer.0.attention.output.LayerNorm.bias",
                "encoder.layer.0.intermediate.dense.weight",
                "encoder.layer.1.output.dense.bias",
            }
        )
            Assert.Contains(key, keys);
        Assert.HasCount(5 + 16 * 2, keys); // embeddings: 3 tables + LayerNorm (2); per layer 16 tensors

        // The same 5 tokens with 0 or 3 padding tokens after them give the same states for the 5 real tokens.
        using var noGrad = no_grad();
        var ids = tensor(new long[] { 2, 7, 9, 11, 3 }, 1, 5);
        var padded = cat([ids, zeros(1, 3, dtype: ScalarType.Int64)], 1);
        var a = bert.call(ids, ones(1, 5));
        var b = bert.call(padded, cat([ones(1, 5), zeros(1, 3)], 1)).narrow(1, 0, 5);
        ParityFixture.AssertClose(a, b, "padding invariance");
    }
}
