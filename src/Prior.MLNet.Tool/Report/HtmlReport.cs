using System.Globalization;
using System.Net;
using System.Text;
using Prior.MLNet.IO;

namespace Prior.MLNet.Tool.Report;

/// <summary>
/// A one-page, self-contained HTML report of a run: a table per evaluation (each beside its picture, if any), its
/// settings, its other pictures (embedded as data URIs, so the single file can be mailed or archived), examples of
/// drafted reports beside their image, and text notes. A small script marks the page <c>data-rendered="ok"</c> once
/// every picture has decoded, or <c>"broken: …"</c> naming those that did not, and <c>data-overflow</c> with the elements
/// wider than the page (empty when the page fits its width), so that a headless browser can check it.
/// </summary>
internal static class HtmlReport
{
    /// <summary>A figure: what it shows, and its PNG file.</summary>
    public sealed record Picture(string Caption, string PngPath);

    /// <summary>
    /// One evaluation's table: its title, a sentence on how to read it, the column headers and the rows (already
    /// formatted), and optionally a picture shown beside it.
    /// </summary>
    public sealed record Table(
        string Title,
        string Caption,
        IReadOnlyList<string> Columns,
        IReadOnlyList<IReadOnlyList<string>> Rows,
        Picture? Picture = null
    );

    /// <summary>A held-out image (a small JPEG or PNG, shown as a thumbnail), its real report and each method's draft.</summary>
    public sealed record DraftExample(string ImagePath, string Reference, IReadOnlyList<(string Method, string Draft)> Drafts);

    /// <summary>Writes the report to <paramref name="path"/> (atomically); pictures whose file is missing are left out.</summary>
    public static void Write(
        string path,
        string title,
        IReadOnlyList<Table> tables,
        IReadOnlyList<(string Name, string Value)> settings,
        IReadOnlyList<Picture> pictures,
        IReadOnlyList<DraftExample> drafts,
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
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{{E(title)}}</title>
            <style>
              body { font-family: system-ui, sans-serif; margin: 2em auto; padding: 0 1em; max-width: 1200px; color: #222; }
              h1 { font-size: 1.6em; } h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ddd; }
              table { border-collapse: collapse; margin: 0.4em 0; max-width: 100%; }
              td, th { padding: 0.25em 0.8em; border-bottom: 1px solid #eee; text-align: left; overflow-wrap: anywhere; }
              thead th { border-bottom: 2px solid #ccc; }
              td.number { font-variant-numeric: tabular-nums; text-align: right; }
              p.caption { color: #555; margin: 0.2em 0 0.6em; }
              .evaluation { display: flex; flex-wrap: wrap; gap: 1.5em; align-items: flex-start; }
              .evaluation > div { flex: 1 1 22em; min-width: 0; }
              figure { margin: 1em 0; } figcaption { color: #444; margin-top: 0.3em; }
              img { max-width: 100%; height: auto; border: 1px solid #eee; }
              .drafts { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 30em), 1fr)); gap: 1em; }
              .draft { border: 1px solid #ddd; border-radius: 4px; padding: 0.8em; display: flex; gap: 0.8em; min-width: 0; }
              .draft img { width: 96px; flex: none; align-self: flex-start; }
              .draft dl { margin: 0; min-width: 0; } .draft dt { font-weight: 600; margin-top: 0.4em; } .draft dd { margin: 0; }
              pre { background: #f7f7f7; padding: 1em; white-space: pre-wrap; overflow-wrap: anywhere; }
            </style>
            </head>
            <body>
            <h1>{{E(title)}}</h1>
            """
        );
        html.Append('\n');
        int figures = 0;
        foreach (var table in tables)
        {
            html.Append($"<section class=\"evaluation-section\"><h2>{E(table.Title)}</h2>\n<div class=\"evaluation\"><div>");
            html.Append($"<p class=\"caption\">{E(table.Caption)}</p>\n<table><thead><tr>");
            foreach (var column in table.Columns)
                html.Append($"<th>{E(column)}</th>");
            html.Append("</tr></thead><tbody>\n");
            foreach (var row in table.Rows)
            {
                html.Append("<tr>");
                for (int c = 0; c < row.Count; c++)
                {
                    // The first cell names the row; figures align right.
                    var tag = c == 0 ? "th" : "td";
                    var numeric = c > 0 && IsNumber(row[c]) ? " class=\"number\"" : "";
                    html.Append($"<{tag}{numeric}>{E(row[c])}</{tag}>");
                }
                html.Append("</tr>\n");
            }
            html.Append("</tbody></table></div>");
            if (table.Picture is { } picture && File.Exists(picture.PngPath))
            {
                html.Append("<div>").Append(Figure(picture)).Append("</div>");
                figures++;
            }
            html.Append("</div></section>\n");
        }
        html.Append("<section><h2>Settings</h2><table><tbody>\n");
        foreach (var (name, value) in settings)
            html.Append($"<tr><th>{E(name)}</th><td>{E(value)}</td></tr>\n");
        html.Append("</tbody></table></section>\n");
        foreach (var picture in pictures.Where(p => File.Exists(p.PngPath)))
        {
            html.Append(Figure(picture));
            figures++;
        }
        if (drafts.Count > 0)
        {
            html.Append("<section><h2>Drafted reports of held-out images</h2>\n<div class=\"drafts\">\n");
            foreach (var example in drafts)
            {
                html.Append("<article class=\"draft\">");
                if (Thumbnail(example.ImagePath) is { } uri)
                    html.Append($"<img class=\"thumbnail\" alt=\"{E(Path.GetFileName(example.ImagePath))}\" src=\"{uri}\">");
                html.Append($"<dl><dt>report</dt><dd>{E(example.Reference)}</dd>");
                foreach (var (method, draft) in example.Drafts)
                    html.Append($"<dt>{E(method)}</dt><dd>{E(draft)}</dd>");
                html.Append("</dl></article>\n");
            }
            html.Append("</div></section>\n");
        }
        foreach (var (noteTitle, text) in notes)
            html.Append($"<h2>{E(noteTitle)}</h2>\n<pre>{E(text)}</pre>\n");
        html.Append(
            $$"""
            <script>
              // For headless checks: every picture decoded (or which did not), how many figures and tables, and whatever is
              // wider than the page.
              window.addEventListener('load', () => {
                const broken = [...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.alt);
                document.body.dataset.rendered = broken.length === 0 ? 'ok' : 'broken: ' + broken.join(', ');
                document.body.dataset.pictures = String(document.images.length);
                document.body.dataset.figures = String({{figures}});
                document.body.dataset.tables = String(document.querySelectorAll('section.evaluation-section table').length);
                const width = document.documentElement.clientWidth;
                const wide = [...document.body.querySelectorAll('*')].filter(e => e.getBoundingClientRect().right > width + 1);
                document.body.dataset.overflow = wide.map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')).join(' ');
              });
            </script>
            </body>
            </html>
            """
        );
        AtomicFile.WriteText(path, w => w.Write(html.ToString()));
    }

    private static string Figure(Picture picture)
    {
        var data = Convert.ToBase64String(File.ReadAllBytes(picture.PngPath));
        return $"<figure><img alt=\"{E(Path.GetFileName(picture.PngPath))}\" src=\"data:image/png;base64,{data}\">"
            + $"<figcaption>{E(picture.Caption)}</figcaption></figure>\n";
    }

    // A data URI of a small JPEG or PNG as it is (the demo's images are a few KB); larger files get no thumbnail rather
    // than a page of megabytes.
    private static string? Thumbnail(string imagePath)
    {
        const long MaxBytes = 256 * 1024;
        if (!File.Exists(imagePath) || new FileInfo(imagePath).Length > MaxBytes)
            return null;
        var type = Path.GetExtension(imagePath).ToLowerInvariant() switch
        {
            ".jpg" or ".jpeg" => "image/jpeg",
            ".png" => "image/png",
            _ => null,
        };
        return type is null ? null : $"data:{type};base64,{Convert.ToBase64String(File.ReadAllBytes(imagePath))}";
    }

    private static bool IsNumber(string cell) =>
        cell.Length > 0 && double.TryParse(cell.TrimEnd('%'), NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
