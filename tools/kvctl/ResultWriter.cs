using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using KvStore.Client;

namespace KvStore.Kvctl;

/// <summary>
/// Prints results as plain text for people or as one JSON object per line for scripts. JSON
/// carries contexts (base64) so that a script can read, then write with the context it read.
/// </summary>
internal sealed class ResultWriter(TextWriter output, bool json)
{
    // Relaxed escaping keeps base64 '+' and non-ASCII text readable; the output is never embedded in HTML.
    private static readonly JsonWriterOptions JsonOptions = new() { Indented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>get: the value (UTF-8) or, for a missing key, nothing at all in text mode.</summary>
    public Task ValueAsync(string key, KvValue? value)
    {
        if (!json)
        {
            return value is null ? Task.CompletedTask : output.WriteLineAsync(value.ValueAsString);
        }

        return WriteJsonAsync(w =>
        {
            w.WriteString("key", key);
            WriteValue(w, value);
        });
    }

    /// <summary>put, set add, set remove: OK, or the new context for a following write.</summary>
    public Task WrittenAsync(KvContext context) =>
        json ? WriteJsonAsync(w => w.WriteString("context", context.ToBase64())) : output.WriteLineAsync("OK");

    /// <summary>del: there is no context to return.</summary>
    public Task DeletedAsync() =>
        json ? WriteJsonAsync(_ => { }) : output.WriteLineAsync("OK");

    /// <summary>set members: one member per line, or nothing for a missing set in text mode.</summary>
    public async Task MembersAsync(string key, KvSet? set)
    {
        if (!json)
        {
            foreach (var member in set?.MembersAsStrings ?? [])
            {
                await output.WriteLineAsync(member);
            }

            return;
        }

        await WriteJsonAsync(w =>
        {
            w.WriteString("key", key);
            WriteMembers(w, set);
        });
    }

    /// <summary>
    /// batch: exactly one line per operation, so that line n answers operation n. Text shows a
    /// missing key as an empty line and members separated by spaces; JSON is exact, and adds the
    /// operation and, for a failure, the status and the server's message.
    /// </summary>
    public Task BatchResultAsync(string operation, string key, KvBatchResult result)
    {
        if (!json)
        {
            var line = !result.IsSuccess ? $"error: {result}" : result.Operation switch
            {
                KvOperationKind.Get => result.Value?.ValueAsString ?? "",
                KvOperationKind.GetSet => string.Join(' ', result.Set?.MembersAsStrings ?? []),
                _ => "OK",
            };
            return output.WriteLineAsync(line);
        }

        return WriteJsonAsync(w =>
        {
            w.WriteString("op", operation);
            w.WriteString("key", key);
            if (!result.IsSuccess)
            {
                w.WriteString("error", KvException.StatusName(result.StatusCode));
                w.WriteString("message", result.Detail);
            }
            else if (result.Operation == KvOperationKind.Get)
            {
                WriteValue(w, result.Value);
            }
            else if (result.Operation == KvOperationKind.GetSet)
            {
                WriteMembers(w, result.Set);
            }
            else if (result.Context is { } context)
            {
                w.WriteString("context", context.ToBase64());
            }
        });
    }

    private static void WriteValue(Utf8JsonWriter w, KvValue? value)
    {
        w.WriteBoolean("found", value is not null);
        if (value is not null)
        {
            w.WriteString("value", value.ValueAsString);
            w.WriteString("context", value.Context.ToBase64());
        }
    }

    private static void WriteMembers(Utf8JsonWriter w, KvSet? set)
    {
        w.WriteBoolean("found", set is not null);
        if (set is not null)
        {
            w.WriteStartArray("members");
            foreach (var member in set.MembersAsStrings)
            {
                w.WriteStringValue(member);
            }

            w.WriteEndArray();
            w.WriteString("context", set.Context.ToBase64());
        }
    }

    private Task WriteJsonAsync(Action<Utf8JsonWriter> writeProperties) =>
        WriteJsonLineAsync(output, w =>
        {
            w.WriteStartObject();
            writeProperties(w);
            w.WriteEndObject();
        });

    /// <summary>Writes one JSON value on one line, escaped the same way as every other kvctl result.</summary>
    public static Task WriteJsonLineAsync(TextWriter output, Action<Utf8JsonWriter> writeValue)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, JsonOptions))
        {
            writeValue(writer);
        }

        return output.WriteLineAsync(Encoding.UTF8.GetString(buffer.WrittenSpan));
    }
}
