namespace KvStore.Client.Tests;

public sealed class KvEndpointTests
{
    [Theory]
    [InlineData("127.0.0.1:7070", "http://127.0.0.1:7070/")]
    [InlineData("localhost:1", "http://localhost:1/")]
    [InlineData(" node-1.example:65535 ", "http://node-1.example:65535/")]
    [InlineData("[::1]:7070", "http://[::1]:7070/")]
    [InlineData("http://10.0.0.1:7070", "http://10.0.0.1:7070/")]
    [InlineData("https://kv.example:443/", "https://kv.example/")]
    [InlineData("https://kv.example", "https://kv.example/")]
    public void Accepts_host_port_and_http_uris(string endpoint, string expected)
    {
        Assert.Equal(new Uri(expected), KvEndpoint.Parse(endpoint));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("   ", "empty")]
    [InlineData("localhost", "a port is required")]
    [InlineData("localhost:", "a port is required")]
    [InlineData(":7070", "a port is required")]
    [InlineData("localhost:0", "not a port number")]
    [InlineData("localhost:65536", "not a port number")]
    [InlineData("localhost:http", "not a port number")]
    [InlineData("localhost:-1", "not a port number")]
    [InlineData("ftp://localhost:21", "only http:// and https://")]
    [InlineData("grpc://localhost:7070", "only http:// and https://")]
    [InlineData("http://localhost:7070/kv", "path")]
    [InlineData("http://localhost:7070?x=1", "query")]
    [InlineData("http://user@localhost:7070", "user name")]
    public void Rejects_anything_else_with_a_message_naming_the_problem(string endpoint, string reason)
    {
        var e = Assert.Throws<ArgumentException>(() => KvEndpoint.Parse(endpoint));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        Assert.Contains("host:port", e.Message, StringComparison.Ordinal);
    }
}
