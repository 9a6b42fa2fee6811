using System.Globalization;
using System.Text;
using Prior.MLNet.IO;

namespace Prior.MLNet.Text;

/// <summary>
/// Builds a cased WordPiece vocabulary (vocab.txt) from report text, deterministically, so that the synthetic
/// default needs no downloaded vocabulary. Layout: the special tokens <c>[PAD] [UNK] [CLS] [SEP] [MASK]</c> (ids 0–4),
/// then every character seen, alone and as a <c>##</c> continuation (so any word can be spelled), then the most
/// frequent whole words (frequency, then ordinal order). Words are split as BERT's basic tokenizer splits them:
/// on white space, and around every punctuation character.
/// </summary>
internal static class WordPieceVocabularyBuilder
{
    /// <summary>The special tokens, in id order.</summary>
    public static IReadOnlyList<string> SpecialTokens { get; } = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

    /// <summary>Builds the vocabulary from <paramref name="texts"/>, keeping at most <paramref name="maxWords"/> whole words.</summary>
    public static IReadOnlyList<string> Build(IEnumerable<string> texts, int maxWords = 8000)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentOutOfRangeException.ThrowIfNegative(maxWords);
        var words = new Dictionary<string, int>(StringComparer.Ordinal);
        var characters = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var text in texts)
        {
            foreach (var word in BasicSplit(text))
            {
                words[word] = words.GetValueOrDefault(word) + 1;
                var e = StringInfo.GetTextElementEnumerator(word);
                while (e.MoveNext())
                    characters.Add(e.GetTextElement());
            }
        }
        var vocabulary = new List<string>(SpecialTokens);
        var seen = new HashSet<string>(vocabulary, StringComparer.Ordinal);
        void Add(string token)
        {
            if (seen.Add(token))
                vocabulary.Add(token);
        }
        foreach (var c in characters)
            Add(c);
        foreach (var c in characters)
            Add("##" + c);
        foreach (var (word, _) in words.OrderByDescending(w => w.Value).ThenBy(w => w.Key, StringComparer.Ordinal).Take(maxWords))
            Add(word);
        return vocabulary;
    }

    /// <summary>Writes a vocabulary as vocab.txt (one token per line, the line number is the id), atomically.</summary>
    public static void Write(IReadOnlyList<string> vocabulary, string path)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        AtomicFile.WriteText(path, writer =>
        {
            foreach (var token in vocabulary)
                writer.Write(token + "\n");
        });
    }

    /// <summary>BERT's basic split: white space separates words; each punctuation character is a word of its own.</summary>
    public static IEnumerable<string> BasicSplit(string text)
    {
        var current = new StringBuilder();
        foreach (char c in text)
        {
            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                if (current.Length > 0)
                {
                    yield return current.ToString();
                    current.Clear();
                }
            }
            else if (IsPunctuation(c))
            {
                if (current.Length > 0)
                {
                    yield return current.ToString();
                    current.Clear();
                }
                yield return c.ToString();
            }
            else
            {
                current.Append(c);
            }
        }
        if (current.Length > 0)
            yield return current.ToString();
    }

    // BERT treats every non-letter, non-digit ASCII symbol as punctuation, plus Unicode punctuation.
    private static bool IsPunctuation(char c) =>
        (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126) || char.IsPunctuation(c);
}
