using System.Globalization;
using System.Net;
using System.Text;
using Prior.MLNet.IO;

namespace Prior.MLNet.Tool.Report;

/// <summary>
/// A one-page, self-contained HTML report of a run: its metrics, its settings, its pictures (embedded as data URIs,
/// so the single file can be mailed or archived) and text notes. A small script marks the page
/// <c>data-rendered="ok"</c> once every picture has decoded, or <c>"broken: …"</c> naming those that did not, so that a
/// headless browser can check it.
/// </summary>
internal static class HtmlReport
{
    /// <summary>A figure: what it shows, and its PNG file.</summary>
    public sealed record Picture(string Caption, string PngPath);

    /// <summary>A metric: its name, value and what it means.</summary>
    public sealed record Metric(string Name, double Value, string Meaning);

    /// <summary>Writes the report to <paramref name="path"/> (atomically); pictures whose file is missing are left out.</summary>
    public static void Write(
        string path,
        string title,
        IReadOnlyList<Metric> metrics,
        IReadOnlyList<(string Name, string Value)> settings,
        IReadOnlyList<Picture> pictures,
        IReadOnlyList<(string Title, string Text)> notes
    )
    {
        var html = new StringBuilder();
        html.Append(
            $$"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>{{E(title)}}</title>
            <style>
              body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1400px; color: #222; }
              h1 { font-size: 1.6em; } h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ddd; }
              table { border-collapse: collapse; } td, th { padding: 0.25em 0.8em; border-bottom: 1px solid #eee; text-align: left; }
              td.value { font-variant-numeric: tabular-nums; text-align: right; font-weight: 600; }
              td.meaning { color: #666; } figure { margin: 1em 0; } figcaption { color: #444; margin-top: 0.3em; }
              img { max-width: 100%; border: 1px solid #eee; } pre { background: #f7f7f7; padding: 1em; white-space: pre-wrap; }
              .layout { display: grid; grid-template-columns: minmax(0, 2fr) minmax(0, 1fr); gap: 2em; }
            </style>
            </head>
            <body>
            <h1>{{E(title)}}</h1>
            <div class="layout"><section><h2>Metrics</h2><table>
            """
        );
        html.Append('\n');
        foreach (var m in metrics)
        {
            // Counts print whole; rates and scores with three decimals.
            var value = m.Value.ToString(
                m.Value == Math.Round(m.Value) && Math.Abs(m.Value) >= 2 ? "0" : "0.000",
                CultureInfo.InvariantCulture
            );
            html.Append($"<tr><th>{E(m.Name)}</th><td class=\"value\">{value}</td><td class=\"meaning\">{E(m.Meaning)}</td></tr>\n");
        }
        html.Append("</table></section>\n<section><h2>Settings</h2><table>\n");
        foreach (var (name, value) in settings)
            html.Append($"<tr><th>{E(name)}</th><td>{E(value)}</td></tr>\n");
        html.Append("</table></section></div>\n");
        foreach (var picture in pictures.Where(p => File.Exists(p.PngPath)))
        {
            var data = Convert.ToBase64String(File.ReadAllBytes(picture.PngPath));
            html.Append(
                $"<figure><img alt=\"{E(Path.GetFileName(picture.PngPath))}\" "
                    + $"src=\"data:image/png;base64,{data}\"><figcaption>{E(picture.Caption)}</figcaption></figure>\n"
            );
        }
        foreach (var (noteTitle, text) in notes)
            html.Append($"<h2>{E(noteTitle)}</h2>\n<pre>{E(text)}</pre>\n");
        html.Append(
            """
            <script>
              // For headless checks: every picture decoded, or which did not.
              window.addEventListener('load', () => {
                const broken = [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.alt);
                document.body.dataset.rendered = broken.length === 0 ? 'ok' : 'broken: ' + broken.join(', ');
                document.body.dataset.pictures = String(document.images.length);
              });
            </script>
            </body>
            </html>
            """
        );
        AtomicFile.WriteText(path, w => w.Write(html.ToString()));
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
