using static TorchSharp.torch;

namespace Prior.MLNet.Modeling;

/// <summary>
/// PRIOR's zero-shot score, batched. For image n and class c with prompts p:
/// g_c = max_p logit_scale·cos(image_global, prompt_global[c,p]) — the <b>raw</b> logit_scale parameter, not its
/// exp (parity: the released weights were evaluated this way); l_c = mean_p ½[mean A_it + mean A_ti] from the local
/// cross-attention between the image patches and the prompt's sentence; score = softmax(g) + 0.5·softmax(l).
/// </summary>
internal static class ZeroShotScoring
{
    /// <summary>Scores [N, C] for images and class prompts.</summary>
    /// <param name="imageLocal">[N, I, D] local image features.</param>
    /// <param name="imageGlobal">[N, D] global image embeddings.</param>
    /// <param name="promptGlobal">[C, P, D] report embeddings of the prompts.</param>
    /// <param name="promptLocal">[C, P, D] the sentence vector of each prompt (one sentence per prompt).</param>
    /// <param name="logitScale">The raw logit_scale parameter.</param>
    /// <param name="crossAttention">The model's local cross-attention.</param>
    public static Tensor Score(
        Tensor imageLocal,
        Tensor imageGlobal,
        Tensor promptGlobal,
        Tensor promptLocal,
        Tensor logitScale,
        LocalCrossAttention crossAttention
    )
    {
        ArgumentNullException.ThrowIfNull(crossAttention);
        using var scope = NewDisposeScope();
        long n = imageLocal.shape[0],
            classes = promptGlobal.shape[0],
            prompts = promptGlobal.shape[1],
            d = promptGlobal.shape[2];
        var cosine = nn
            .functional.normalize(imageGlobal, dim: -1)
            .matmul(nn.functional.normalize(promptGlobal.reshape(-1, d), dim: -1).t());
        var global = (logitScale * cosine).view(n, classes, prompts).amax([2]);
        // Each prompt's attention column (and row) does not depend on the others, so all prompts go in one call.
        var sentences = promptLocal.reshape(1, -1, d).expand(n, -1, -1);
        var attention = crossAttention.call(imageLocal, sentences);
        var local = 0.5 * (attention.ImageToSentence.mean([1]) + attention.SentenceToImage.mean([2])); // [N, C·P]
        var localScore = local.view(n, classes, prompts).mean([2]);
        return (global.softmax(-1) + 0.5 * localScore.softmax(-1)).MoveToOuterDisposeScope();
    }
}
