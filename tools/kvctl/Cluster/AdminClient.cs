using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace KvStore.Kvctl.Cluster;

/// <summary>
/// GETs from nodes' admin HTTP ports with one deadline per request. Transport failures become
/// <see cref="AdminUnreachableException"/> (exit 2); an answer that breaks the contract becomes
/// <see cref="AdminResponseException"/> (exit 1); the caller's cancellation passes through.
/// </summary>
internal sealed class AdminClient(TimeSpan timeout) : IDisposable
{
    // The deadline is applied per request with a token, so that a timeout can be told apart from Ctrl+C.
    // Admin ports are reached directly: an http_proxy meant for the internet must not sit in between.
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>The body of <paramref name="pathAndQuery"/> on <paramref name="address"/>, which must answer 2xx with JSON.</summary>
    public async Task<JsonDocument> GetJsonAsync(string address, string pathAndQuery, CancellationToken cancellationToken)
    {
        var (status, body) = await GetAsync(address, pathAndQuery, cancellationToken);
        if (status is < HttpStatusCode.OK or >= HttpStatusCode.MultipleChoices)
        {
            throw new AdminResponseException($"admin endpoint {address} answered {(int)status} {status} to GET {pathAndQuery}");
        }

        try
        {
            return JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            throw new AdminResponseException($"admin endpoint {address} sent malformed JSON for GET {pathAndQuery}: {e.Message}", e);
        }
    }

    /// <summary>POSTs an empty body to <paramref name="path"/> on <paramref name="address"/>, which must answer 2xx with JSON.</summary>
    public async Task<JsonDocument> PostJsonAsync(string address, string path, CancellationToken cancellationToken)
    {
        var (status, body) = await GetAsync(address, path, cancellationToken, HttpMethod.Post);
        if (status is < HttpStatusCode.OK or >= HttpStatusCode.MultipleChoices)
        {
            throw new AdminResponseException($"admin endpoint {address} answered {(int)status} {status} to POST {path}");
        }

        try
        {
            return JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            throw new AdminResponseException($"admin endpoint {address} sent malformed JSON for POST {path}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Asks one node whether it serves. 200 means serving unless the body says otherwise; any other
    /// status (503 is the contract's) means not serving; no answer in time means unreachable.
    /// </summary>
    public async Task<HealthProbe> ProbeHealthAsync(string address, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            var (status, body) = await GetAsync(address, "/healthz", cancellationToken);
            var latency = clock.Elapsed;
            var serving = status == HttpStatusCode.OK && StatusField(body) != HealthProbe.NotServing;
            return new HealthProbe(serving ? HealthProbe.Serving : HealthProbe.NotServing, latency, null);
        }
        catch (AdminUnreachableException e)
        {
            return new HealthProbe(HealthProbe.Unreachable, null, e.Reason);
        }
        catch (UsageException e)
        {
            // A member that gossips an address kvctl cannot use is still a member to report, not a typo of the user's.
            return new HealthProbe(HealthProbe.Unreachable, null, e.Message);
        }
    }

    private async Task<(HttpStatusCode Status, string Body)> GetAsync(string address, string pathAndQuery, CancellationToken cancellationToken, HttpMethod? method = null)
    {
        var uri = AdminAddress.Resolve(address, pathAndQuery);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            using var request = new HttpRequestMessage(method ?? HttpMethod.Get, uri);
            using var response = await _http.SendAsync(request, deadline.Token);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(deadline.Token));
        }
        catch (HttpRequestException e)
        {
            throw new AdminUnreachableException(address, InnermostMessage(e), e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new AdminUnreachableException(address, "no answer before the deadline", e);
        }
    }

    private static string? StatusField(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("status", out var status)
                && status.ValueKind == JsonValueKind.String
                ? status.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The most specific cause, e.g. "Connection refused" rather than "An error occurred while sending the request".</summary>
    private static string InnermostMessage(Exception e)
    {
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e.Message;
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>What one node's <c>/healthz</c> said, and how long it took; <see cref="Latency"/> is null when it did not answer.</summary>
internal sealed record HealthProbe(string Health, TimeSpan? Latency, string? Reason)
{
    public const string Serving = "serving";
    public const string NotServing = "not_serving";
    public const string Unreachable = "unreachable";
}
