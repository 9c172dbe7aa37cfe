using Grpc.Core;

namespace KvStore.Client.Tests;

public sealed class KvExceptionTests
{
    [Theory]
    [InlineData(StatusCode.InvalidArgument, "key is empty", "INVALID_ARGUMENT: key is empty")]
    [InlineData(StatusCode.FailedPrecondition, "key holds a set", "FAILED_PRECONDITION: key holds a set")]
    [InlineData(StatusCode.ResourceExhausted, "", "RESOURCE_EXHAUSTED")]
    [InlineData(StatusCode.OK, "", "OK")]
    public void Message_is_the_canonical_status_name_then_the_detail(StatusCode code, string detail, string message)
    {
        var e = new KvException(code, detail);

        Assert.Equal(message, e.Message);
        Assert.Equal(code, e.StatusCode);
        Assert.Equal(detail, e.Detail);
        Assert.False(e.IsUnreachable);
    }
}
