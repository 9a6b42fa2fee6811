using System.CommandLine;
using System.Text;

namespace Prior.MLNet.Tool.Commands;

/// <summary>
/// A command-line option bound to an enum of the library, so that a switch is the same value in the API and on the
/// command line: members are written in kebab case (<c>PerStage</c> is <c>per-stage</c>), any case is accepted, and a
/// value that names no member is a parse error that lists the ones that do.
/// </summary>
internal static class EnumOption
{
    /// <summary>
    /// An option named <paramref name="name"/> whose default is <paramref name="defaultValue"/>; <paramref name="aliases"/>
    /// adds other spellings (e.g. <c>gpu</c> for <see cref="Training.ComputeDevice.Cuda"/>).
    /// </summary>
    public static Option<T> Create<T>(string name, string description, T defaultValue, params (string Text, T Value)[] aliases)
        where T : struct, Enum => Create(name, description, defaultValue, [], aliases);

    /// <summary>
    /// As above, without the members in <paramref name="excluded"/>: a value the command cannot use is neither offered in
    /// the help nor accepted.
    /// </summary>
    public static Option<T> Create<T>(
        string name,
        string description,
        T defaultValue,
        IReadOnlyCollection<T> excluded,
        params (string Text, T Value)[] aliases
    )
        where T : struct, Enum
    {
        var names = Enum.GetValues<T>().Where(v => !excluded.Contains(v)).Select(v => (Text: Kebab(v.ToString()), Value: v)).ToList();
        var accepted = names.Concat(aliases).ToList();
        var option = new Option<T>(name)
        {
            Description = description + ".",
            DefaultValueFactory = _ => defaultValue,
            HelpName = string.Join("|", names.Select(n => n.Text)),
            CustomParser = result =>
            {
                var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : string.Join(" ", result.Tokens.Select(t => t.Value));
                foreach (var (candidate, value) in accepted)
                    if (string.Equals(candidate, text, StringComparison.OrdinalIgnoreCase))
                        return value;
                result.AddError($"{name} must be one of {string.Join(", ", names.Select(n => n.Text))}; not '{text}'.");
                return defaultValue;
            },
        };
        option.CompletionSources.Add(names.Select(n => n.Text).ToArray());
        return option;
    }

    /// <summary>The command-line spelling of <paramref name="value"/>.</summary>
    public static string Text<T>(T value)
        where T : struct, Enum => Kebab(value.ToString());

    private static string Kebab(string pascal)
    {
        var text = new StringBuilder(pascal.Length + 4);
        for (int i = 0; i < pascal.Length; i++)
        {
            if (i > 0 && char.IsUpper(pascal[i]) && !char.IsUpper(pascal[i - 1]))
                text.Append('-');
            text.Append(char.ToLowerInvariant(pascal[i]));
        }
        return text.ToString();
    }
}
