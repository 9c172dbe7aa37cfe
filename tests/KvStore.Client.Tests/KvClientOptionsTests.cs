namespace KvStore.Client.Tests;

public sealed class KvClientOptionsTests
{
    [Fact]
    public void Defaults_are_valid_and_documented_values()
    {
        var options = new KvClientOptions();

        var addresses = options.Validate();

        Assert.Equal([new Uri("http://127.0.0.1:7070")], addresses);
        Assert.Equal(TimeSpan.FromSeconds(10), options.Timeout);
        Assert.Equal(16 * 1024 * 1024, options.MaxSendMessageBytes);
        Assert.Equal(16 * 1024 * 1024, options.MaxReceiveMessageBytes);
        Assert.Equal(KvConsistency.Default, options.DefaultConsistency);
    }

    [Fact]
    public void Infinite_timeout_is_allowed()
    {
        var options = new KvClientOptions { Timeout = Timeout.InfiniteTimeSpan };

        Assert.Single(options.Validate());
    }

    public static TheoryData<string, Action<KvClientOptions>> InvalidSettings => new()
    {
        { "Endpoints", o => o.Endpoints = [] },
        { "Endpoints", o => o.Endpoints = null! },
        { "Invalid endpoint 'nohost'", o => o.Endpoints = ["127.0.0.1:7070", "nohost"] },
        { "Timeout", o => o.Timeout = TimeSpan.Zero },
        { "Timeout", o => o.Timeout = TimeSpan.FromSeconds(-5) },
        { "MaxSendMessageBytes", o => o.MaxSendMessageBytes = 0 },
        { "MaxReceiveMessageBytes", o => o.MaxReceiveMessageBytes = -1 },
        { "DefaultConsistency", o => o.DefaultConsistency = (KvConsistency)9 },
    };

    [Theory]
    [MemberData(nameof(InvalidSettings))]
    public void Invalid_settings_are_rejected_naming_the_setting(string named, Action<KvClientOptions> change)
    {
        var options = new KvClientOptions();
        change(options);

        var e = Assert.Throws<ArgumentException>(() => options.Validate());

        Assert.Contains(named, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_client_constructor_validates()
    {
        Assert.Throws<ArgumentException>(() => new KvClient(new KvClientOptions { Timeout = TimeSpan.Zero }));
        Assert.Throws<ArgumentException>(() => new KvClient("not an endpoint"));
    }
}
