using Prior.MLNet.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace Prior.MLNet.Tests.Modeling;

[TestClass]
[TestCategory(TestCategories.Unit)]
public sealed class AttentionPool2dTests
{
    [TestMethod]
    public void MatchesTheOriginalWithItsOwnParameters()
    {
        using var scope = NewDisposeScope();
        var fixture = ParityFixture.Load("attention_pool_2d");
        using var pool = new AttentionPool2d(spatialDim: 4, embedDim: 64, numHeads: 8);
        // Strict load: also proves our parameter names are the original's.
        pool.load_state_dict(ParityFixture.Parameters(fixture, "atten_pool."), strict: true);
        pool.eval();
        using var noGrad = no_grad();
        ParityFixture.AssertClose(fixture["output"], pool.call(fixture["input"]), "attention pooling");
    }

    [TestMethod]
    public void EqualsAFloat64RecomputationWithPyTorchsMultiHeadAttention()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(3);
        using var pool = new AttentionPool2d(spatialDim: 3, embedDim: 16, numHeads: 4, outputDim: 8);
        var x = randn(2, 16, 3, 3);
        var ours = pool.call(x);

        // Independent reference: torch's own multi-head attention in float64, sequence-first, query = mean token.
        using var mha = nn.MultiheadAttention(16, 4, bias: true);
        mha.to(ScalarType.Float64);
        using (no_grad())
        {
            var w = cat([pool.q_proj.weight!, pool.k_proj.weight!, pool.v_proj.weight!]).to_type(ScalarType.Float64);
            var b = cat([pool.q_proj.bias!, pool.k_proj.bias!, pool.v_proj.bias!]).to_type(ScalarType.Float64);
            var parameters = mha.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            parameters["in_proj_weight"].copy_(w);
            parameters["in_proj_bias"].copy_(b);
            parameters["out_proj.weight"].copy_(eye(16, dtype: ScalarType.Float64));
            parameters["out_proj.bias"].zero_();
        }
        var seq = x.to_type(ScalarType.Float64).flatten(2).permute(2, 0, 1); // [HW, N, C]
        seq = cat([seq.mean([0], keepdim: true), seq]) + pool.positional_embedding.to_type(ScalarType.Float64).unsqueeze(1);
        var (attended, _) = mha.call(seq.narrow(0, 0, 1), seq, seq, null, false, null);
        var reference = nn.functional.linear(
            attended.squeeze(0),
            pool.c_proj.weight!.to_type(ScalarType.Float64),
            pool.c_proj.bias!.to_type(ScalarType.Float64)
        );
        ParityFixture.AssertClose(reference, ours, "attention pooling vs float64 MultiheadAttention");
    }

    [TestMethod]
    public void RejectsHeadsThatDoNotDivideTheWidth() => Assert.ThrowsExactly<ArgumentException>(() => new AttentionPool2d(7, 30, 8));
}
