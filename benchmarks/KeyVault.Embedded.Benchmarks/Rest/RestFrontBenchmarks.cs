using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;

namespace KeyVault.Embedded.Benchmarks.Rest;

/// <summary>
/// Requests per second through the REST front over HTTPS on loopback (keep-alive HTTP/1.1, a bearer token on every
/// request), beside a bare Kestrel server (the same certificate, nothing but routing) that gets the same request bytes
/// and answers with the same response bytes and content type, and beside a bare endpoint in the REST host itself (its
/// default pipeline; no token sent, so that its authentication middleware finds nothing to check). Each invocation sends <see cref="RequestsPerInvoke"/> requests
/// from <see cref="Concurrency"/> concurrent loops, each on its own kept-alive connection, so the mean is per request
/// and Op/s is requests per second. Client and server share the process (and the machine's cores). The tokens are
/// ES256 (as the tests'). <see cref="TokenCache"/>: the host's JwtBearer checks every request's token (false), or
/// behind <c>UseValidatedTokenCache()</c> once a minute (true); the bare endpoints check none.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[Config(typeof(Columns))]
[SimpleJob(warmupCount: 3, iterationCount: 15)]
public class RestFrontBenchmarks
{
    private const int Concurrency = 8;
    private const int RequestsPerLoop = 8;
    private const int RequestsPerInvoke = Concurrency * RequestsPerLoop;

    private RestBenchServer _server = null!;
    private HttpClient _client = null!;
    private HttpClient _bareClient = null!;
    private HttpClient _hostClient = null!;
    private string _secretPath = null!;
    private string _hostSecretPath = null!;
    private string _signPath = null!;
    private string _hostSignPath = null!;
    private byte[] _signBody = null!;

    /// <summary>Whether the host keeps validated tokens for a minute (<c>JwtBearerOptions.UseValidatedTokenCache</c>).</summary>
    [Params(false, true)]
    public bool TokenCache { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _server = RestBenchServer.StartAsync(TokenCache).GetAwaiter().GetResult();
        _client = _server.Client(_server.Token());

        // The bare server gets the very requests the front gets, token included, and ignores them. No token to the
        // host's bare endpoint: ASP.NET Core's authentication middleware would check it on every request (the single
        // scheme is the default), and that row would carry the cost it is there to tell apart.
        _bareClient = _server.Client(_server.Token(), bare: true);
        _hostClient = _server.Client(null);
        var query = "?api-version=" + RestBenchServer.ApiVersion;
        _secretPath = $"secrets/{RestBenchServer.SecretName}" + query;
        _hostSecretPath = "bare/" + _secretPath;
        _signPath = $"keys/{RestBenchServer.KeyName}/{_server.KeyVersion}/sign" + query;
        _hostSignPath = "bare/" + _signPath;
        _signBody = Encoding.UTF8.GetBytes($"{{\"alg\":\"ES256\",\"value\":\"{System.Buffers.Text.Base64Url.EncodeToString(SHA256.HashData("benchmark"u8))}\"}}");

        // The bare endpoints answer with what the REST front answered, byte for byte.
        _server.SecretResponse = Capture(SecretGetRequest());
        _server.SignResponse = Capture(SignRequest());
        foreach (var (client, make, expected) in new (HttpClient, Func<HttpRequestMessage>, byte[])[]
        {
            (_bareClient, SecretGetRequest, _server.SecretResponse), (_bareClient, SignRequest, _server.SignResponse),
            (_hostClient, HostSecretGetRequest, _server.SecretResponse), (_hostClient, HostSignRequest, _server.SignResponse),
        })
        {
            using var response = client.Send(make());
            var body = response.Content.ReadAsByteArrayAsync().GetAwaiter().GetResult();
            if (response.Content.Headers.ContentType?.ToString() != RestBenchServer.JsonContentType || !body.AsSpan().SequenceEqual(expected))
            {
                throw new InvalidOperationException("A bare endpoint does not answer with the REST front's bytes.");
            }
        }

        // Open every connection the loops will use.
        RunAsync(_client, SecretGetRequest).GetAwaiter().GetResult();
        RunAsync(_bareClient, SecretGetRequest).GetAwaiter().GetResult();
        RunAsync(_hostClient, HostSecretGetRequest).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _client.Dispose();
        _bareClient.Dispose();
        _hostClient.Dispose();
        _server.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [BenchmarkCategory("secret GET"), Benchmark(Baseline = true, OperationsPerInvoke = RequestsPerInvoke, Description = "bare Kestrel server GET, same bytes")]
    public Task SecretGetBare() => RunAsync(_bareClient, SecretGetRequest);

    [BenchmarkCategory("secret GET"), Benchmark(OperationsPerInvoke = RequestsPerInvoke, Description = "bare endpoint in the REST host, no token")]
    public Task SecretGetHostBare() => RunAsync(_hostClient, HostSecretGetRequest);

    [BenchmarkCategory("secret GET"), Benchmark(OperationsPerInvoke = RequestsPerInvoke, Description = "REST GET /secrets/{name}")]
    public Task SecretGet() => RunAsync(_client, SecretGetRequest);


    [BenchmarkCategory("ES256 sign"), Benchmark(Baseline = true, OperationsPerInvoke = RequestsPerInvoke, Description = "bare Kestrel server POST, same bytes")]
    public Task Es256SignBare() => RunAsync(_bareClient, SignRequest);

    [BenchmarkCategory("ES256 sign"), Benchmark(OperationsPerInvoke = RequestsPerInvoke, Description = "bare endpoint in the REST host, no token")]
    public Task Es256SignHostBare() => RunAsync(_hostClient, HostSignRequest);

    [BenchmarkCategory("ES256 sign"), Benchmark(OperationsPerInvoke = RequestsPerInvoke, Description = "REST POST /keys/{name}/{version}/sign")]
    public Task Es256Sign() => RunAsync(_client, SignRequest);


    private HttpRequestMessage SecretGetRequest() => new(HttpMethod.Get, _secretPath);

    private HttpRequestMessage HostSecretGetRequest() => new(HttpMethod.Get, _hostSecretPath);

    private HttpRequestMessage SignRequest() => Post(_signPath);

    private HttpRequestMessage HostSignRequest() => Post(_hostSignPath);

    private HttpRequestMessage Post(string path)
    {
        var content = new ByteArrayContent(_signBody);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
    }

    private byte[] Capture(HttpRequestMessage request)
    {
        using (request)
        using (var response = _client.Send(request))
        {
            var body = response.Content.ReadAsByteArrayAsync().GetAwaiter().GetResult();
            if (response.StatusCode != HttpStatusCode.OK || response.Content.Headers.ContentType?.ToString() != RestBenchServer.JsonContentType)
            {
                throw new InvalidOperationException($"The REST front answered {(int)response.StatusCode} ({response.Content.Headers.ContentType}): {Encoding.UTF8.GetString(body)}");
            }

            return body;
        }
    }

    private static Task RunAsync(HttpClient client, Func<HttpRequestMessage> make)
    {
        var loops = new Task[Concurrency];
        for (var i = 0; i < loops.Length; i++)
        {
            loops[i] = LoopAsync(client, make);
        }

        return Task.WhenAll(loops);
    }

    private static async Task LoopAsync(HttpClient client, Func<HttpRequestMessage> make)
    {
        for (var i = 0; i < RequestsPerLoop; i++)
        {
            using var request = make();
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"{request.RequestUri} answered {(int)response.StatusCode}.");
            }
        }
    }

    /// <summary>
    /// Op/s beside the mean: requests per second, since each operation is one request. The build of the benchmark's
    /// copy of the project (ASP.NET Core included) may pass BenchmarkDotNet's default two minutes on a busy machine.
    /// </summary>
    private sealed class Columns : ManualConfig
    {
        public Columns()
        {
            AddColumn(StatisticColumn.OperationsPerSecond);
            WithBuildTimeout(TimeSpan.FromMinutes(10));
        }
    }
}
