namespace Prior.MLNet.Text;

/// <summary>A report as BERT input: ids, attention mask and each token's sentence index, all of the same length.</summary>
/// <param name="InputIds">Token ids: CLS, the sentences' tokens, SEP, then padding.</param>
/// <param name="AttentionMask">1 for real tokens (CLS and SEP included), 0 for padding.</param>
/// <param name="SentenceIndex">1..T for the tokens of sentence 1..T; −1 for CLS, SEP and padding.</param>
/// <param name="SentenceCount">How many sentences have at least one token in the sequence (after truncation).</param>
internal sealed record TokenizedReport(long[] InputIds, long[] AttentionMask, long[] SentenceIndex, int SentenceCount)
{
    /// <summary>How many leading positions hold real tokens (CLS through SEP); the rest is padding.</summary>
    public int Length => Array.LastIndexOf(AttentionMask, 1L) + 1;
}
