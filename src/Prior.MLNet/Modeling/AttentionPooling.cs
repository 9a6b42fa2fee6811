using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Prior.MLNet.Modeling;

/// <summary>
/// The attention step shared by <see cref="AttentionPool2d"/> and <see cref="SentenceAttentionPool"/>: token 0 (the
/// mean token) queries every token with multi-head attention (queries scaled by head_dim^-0.5, as PyTorch's
/// multi-head attention does), and the output projection gives the pooled vector.
/// </summary>
internal static class AttentionPooling
{
    /// <param name="tokens">[N, L, C] with the mean token first.</param>
    /// <param name="keyMask">[N, L], true where a token may be attended; null for all.</param>
    /// <param name="q">Query projection.</param>
    /// <param name="k">Key projection.</param>
    /// <param name="v">Value projection.</param>
    /// <param name="c">Output projection.</param>
    /// <param name="heads">Number of heads.</param>
    /// <param name="frozenWeights">True: the projections' weights are used detached, so the gradient reaches the
    /// tokens but not the weights (the same values either way).</param>
    public static Tensor Pool(Tensor tokens, Tensor? keyMask, Linear q, Linear k, Linear v, Linear c, int heads, bool frozenWeights = false)
    {
        long n = tokens.shape[0],
            length = tokens.shape[1],
            channels = tokens.shape[2],
            headDim = channels / heads;
        Tensor Project(Linear layer, Tensor x) =>
            frozenWeights ? nn.functional.linear(x, layer.weight!.detach(), layer.bias?.detach()) : layer.call(x);
        var query = Project(q, tokens.narrow(1, 0, 1)).view(n, 1, heads, headDim).transpose(1, 2) * Math.Pow(headDim, -0.5);
        var key = Project(k, tokens).view(n, length, heads, headDim).transpose(1, 2);
        var value = Project(v, tokens).view(n, length, heads, headDim).transpose(1, 2);
        var scores = query.matmul(key.transpose(-2, -1)); // [N, heads, 1, L]
        if (keyMask is not null)
            scores = scores.masked_fill(keyMask.logical_not().view(n, 1, 1, length), double.NegativeInfinity);
        var pooled = scores.softmax(-1).matmul(value).transpose(1, 2).reshape(n, channels);
        return Project(c, pooled);
    }
}
