using Microsoft.ML.Tokenizers;

namespace Prior.MLNet.Text;

/// <summary>
/// Tokenizes a report the way PRIOR does: each sentence is tokenized alone (WordPiece, cased like
/// Bio_ClinicalBERT), the spans are laid one after another after CLS, each token labelled with its sentence's
/// index, then SEP and padding to a fixed length (256 in the paper). A longer report is cut, mid-sentence if need
/// be. Microsoft.ML.Tokenizers does the WordPiece work; padding, mask and sentence indices are built here, as its
/// API has none.
/// </summary>
internal sealed class ReportTokenizer
{
    private readonly BertTokenizer _tokenizer;

    /// <summary>Loads a vocab.txt (Hugging Face layout, one token per line).</summary>
    /// <param name="vocabularyPath">The vocab.txt file.</param>
    /// <param name="maxLength">Sequence length, CLS and SEP included; at least 3. PRIOR uses 256.</param>
    /// <param name="lowerCase">False for cased vocabularies such as Bio_ClinicalBERT's.</param>
    public ReportTokenizer(string vocabularyPath, int maxLength = 256, bool lowerCase = false)
        : this(ReadVocabulary(vocabularyPath), vocabularyPath, maxLength, lowerCase) { }

    /// <summary>
    /// Builds the tokenizer from a vocabulary already in memory (vocab.txt's lines, one token per id), e.g. one stored
    /// inside a model file; <paramref name="source"/> names it in errors.
    /// </summary>
    public static ReportTokenizer FromTokens(
        IReadOnlyList<string> tokens,
        int maxLength = 256,
        bool lowerCase = false,
        string source = "the vocabulary"
    )
    {
        ArgumentNullException.ThrowIfNull(tokens);
        return new ReportTokenizer(tokens, source, maxLength, lowerCase);
    }

    private ReportTokenizer(IReadOnlyList<string> tokens, string source, int maxLength, bool lowerCase)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 3);
        var options = new BertOptions { LowerCaseBeforeTokenization = lowerCase };
        var known = tokens.ToHashSet(StringComparer.Ordinal);
        foreach (
            var (name, token) in new[]
            {
                ("CLS", options.ClassificationToken),
                ("SEP", options.SeparatorToken),
                ("PAD", options.PaddingToken),
                ("UNK", options.UnknownToken),
            }
        )
        {
            if (!known.Contains(token))
                throw new InvalidDataException($"{source}: the vocabulary lacks the {name} token '{token}'.");
        }
        using (var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(string.Concat(tokens.Select(t => t + "\n")))))
            _tokenizer = BertTokenizer.Create(stream, options);
        MaxLength = maxLength;
        LowerCase = lowerCase;
        Vocabulary = tokens;
    }

    private static string[] ReadVocabulary(string vocabularyPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(vocabularyPath);
        if (!File.Exists(vocabularyPath))
            throw new FileNotFoundException($"{vocabularyPath}: the vocabulary file does not exist.", vocabularyPath);
        return File.ReadAllLines(vocabularyPath);
    }

    /// <summary>Whether text is lower-cased before WordPiece (false for cased vocabularies such as Bio_ClinicalBERT's).</summary>
    public bool LowerCase { get; }

    /// <summary>The sequence length every report is padded or cut to.</summary>
    public int MaxLength { get; }

    /// <summary>Number of tokens in the vocabulary (the BERT embedding table's size).</summary>
    public int VocabularySize => Vocabulary.Count;

    /// <summary>The vocabulary, one token per id (vocab.txt's lines).</summary>
    public IReadOnlyList<string> Vocabulary { get; }

    /// <summary>The padding token id.</summary>
    public int PaddingId => _tokenizer.PaddingTokenId;

    /// <summary>Token ids of one text, without special tokens.</summary>
    public IReadOnlyList<int> TokenIds(string text) => _tokenizer.EncodeToIds(text, addSpecialTokens: false);

    /// <summary>Tokenizes the sentences of one report, in the order given.</summary>
    public TokenizedReport Encode(IReadOnlyList<string> sentences)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        var ids = new long[MaxLength];
        var mask = new long[MaxLength];
        var index = new long[MaxLength];
        Array.Fill(ids, _tokenizer.PaddingTokenId);
        Array.Fill(index, -1);
        ids[0] = _tokenizer.ClassificationTokenId;
        mask[0] = 1;
        int position = 1,
            count = 0,
            room = MaxLength - 1; // the last real slot is for SEP
        for (int s = 0; s < sentences.Count && position < room; s++)
        {
            var tokens = TokenIds(sentences[s]);
            if (tokens.Count == 0)
                continue;
            count++;
            for (int t = 0; t < tokens.Count && position < room; t++, position++)
            {
                ids[position] = tokens[t];
                mask[position] = 1;
                index[position] = count;
            }
        }
        ids[position] = _tokenizer.SeparatorTokenId;
        mask[position] = 1;
        return new TokenizedReport(ids, mask, index, count);
    }
}
