using static TorchSharp.torch;

namespace Prior.MLNet.Modeling;

/// <summary>One training batch as tensors on the model's device.</summary>
/// <param name="Images">[B, 1, S, S], augmented and normalised.</param>
/// <param name="InputIds">[B, L] int64 token ids.</param>
/// <param name="AttentionMask">[B, L] int64, 1 for real tokens.</param>
/// <param name="SentenceIndex">[B, L] int64, 1..T per sentence, −1 for CLS, SEP and padding.</param>
internal sealed record PriorBatch(Tensor Images, Tensor InputIds, Tensor AttentionMask, Tensor SentenceIndex);
