using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace KeyVault.Embedded.Cli.Output;

/// <summary>
/// Writes a command's result to standard output as az does: indented JSON; a table of the top-level scalar fields with
/// a header; or tab-separated values without a header, one line per object (nested objects and arrays are left out of
/// table and tsv, as az leaves them out).
/// </summary>
internal static class ResultWriter
{
    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void Write(JsonNode? result, OutputFormat format)
    {
        var text = format switch
        {
            OutputFormat.Table => Table(Rows(result)),
            OutputFormat.Tsv => Tsv(Rows(result)),
            _ => (result?.ToJsonString(Indented) ?? "null") + "\n",
        };
        var stdout = Console.Out;
        stdout.Write(text);
        stdout.Flush();
    }

    private static List<JsonObject> Rows(JsonNode? result) => result switch
    {
        JsonArray array => array.Select(item => item as JsonObject ?? new JsonObject { ["value"] = item?.DeepClone() }).ToList(),
        JsonObject single => [single],
        null => [],
        _ => [new JsonObject { ["value"] = result.DeepClone() }],
    };

    private static List<string> Columns(List<JsonObject> rows)
    {
        var columns = new List<string>();
        foreach (var row in rows)
        {
            foreach (var (name, value) in row)
            {
                if (value is not (JsonObject or JsonArray) && !columns.Contains(name))
                {
                    columns.Add(name);
                }
            }
        }

        return columns;
    }

    private static string Cell(JsonNode? value) => value switch
    {
        null => string.Empty,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v when v.TryGetValue<bool>(out var b) => b ? "True" : "False",
        _ => value.ToJsonString(),
    };

    private static string Table(List<JsonObject> rows)
    {
        var columns = Columns(rows);
        if (columns.Count == 0)
        {
            return string.Empty;
        }

        var header = columns.Select(Title).ToList();
        var cells = rows.Select(row => columns.Select(c => Cell(row[c])).ToList()).ToList();
        var widths = columns.Select((_, i) => Math.Max(header[i].Length, cells.Count == 0 ? 0 : cells.Max(r => r[i].Length))).ToList();
        var text = new StringBuilder();
        AppendLine(text, header, widths);
        AppendLine(text, widths.Select(w => new string('-', w)).ToList(), widths);
        foreach (var row in cells)
        {
            AppendLine(text, row, widths);
        }

        return text.ToString();
    }

    private static void AppendLine(StringBuilder text, List<string> cells, List<int> widths)
    {
        for (var i = 0; i < cells.Count; i++)
        {
            text.Append(i == cells.Count - 1 ? cells[i] : cells[i].PadRight(widths[i] + 2));
        }

        text.Append('\n');
    }

    private static string Tsv(List<JsonObject> rows)
    {
        var columns = Columns(rows);
        var text = new StringBuilder();
        foreach (var row in rows)
        {
            text.Append(string.Join('\t', columns.Select(c => Cell(row[c]).Replace('\t', ' ').Replace('\n', ' ')))).Append('\n');
        }

        return text.ToString();
    }

    // az's table headers: the field name with its first letter upper-cased (createdOn -> CreatedOn).
    private static string Title(string name) => name.Length == 0 ? name : char.ToUpperInvariant(name[0]) + name[1..];
}
