using Spectre.Console;

namespace AkkaChat.Cli.Chat;

/// <summary>
/// Breaks a line into terminal rows at spaces, as a reader expects; a word longer than a row is
/// split where the row ends. Widths are terminal cells (a CJK character or an emoji is two).
/// </summary>
public static class WordWrap
{
    public static IReadOnlyList<string> Rows(string text, int width)
    {
        width = Math.Max(width, 1);
        var rows = new List<string>();
        var row = new System.Text.StringBuilder();
        var rowCells = 0;
        foreach (var word in Words(text))
        {
            var cells = word.GetCellWidth();
            if (rowCells + cells <= width)
            {
                row.Append(word);
                rowCells += cells;
                continue;
            }

            if (word.Trim().Length == 0)
            {
                // Spaces at a break are dropped: the next row starts with the next word.
                rows.Add(row.ToString().TrimEnd());
                row.Clear();
                rowCells = 0;
                continue;
            }

            if (rowCells > 0)
            {
                rows.Add(row.ToString().TrimEnd());
                row.Clear();
                rowCells = 0;
            }

            // A word longer than a row: hard breaks.
            foreach (var element in Elements(word))
            {
                var w = element.GetCellWidth();
                if (rowCells + w > width && rowCells > 0)
                {
                    rows.Add(row.ToString());
                    row.Clear();
                    rowCells = 0;
                }

                row.Append(element);
                rowCells += w;
            }
        }

        if (row.Length > 0 || rows.Count == 0)
        {
            rows.Add(row.ToString());
        }

        return rows;
    }

    /// <summary>Runs of non-spaces and runs of spaces, in order.</summary>
    private static IEnumerable<string> Words(string text)
    {
        var start = 0;
        for (var i = 1; i <= text.Length; i++)
        {
            if (i == text.Length || (text[i] == ' ') != (text[i - 1] == ' '))
            {
                yield return text[start..i];
                start = i;
            }
        }
    }

    /// <summary>Characters, keeping surrogate pairs together.</summary>
    private static IEnumerable<string> Elements(string word)
    {
        for (var i = 0; i < word.Length; i++)
        {
            yield return char.IsHighSurrogate(word[i]) && i + 1 < word.Length ? word.Substring(i++, 2) : word[i].ToString();
        }
    }
}
