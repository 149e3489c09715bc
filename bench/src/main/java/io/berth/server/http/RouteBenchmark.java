package io.berth.server.http;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Finding the route of a request in the route table, done on every request. In the server's package, whose table
 * is not public.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RouteBenchmark {

    private static final String DIGEST = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
    private static final Map<String, String> PATHS = Map.of(
            "base", "/v2/",
            "uploadStart", "/v2/team/app/blobs/uploads/",
            "upload", "/v2/team/app/blobs/uploads/6f1d3c9e-8a0b-4a51-9d0e-3b1f1c2d4e5f",
            "manifest", "/v2/team/app/manifests/v1.2.3",
            "blob", "/v2/org/team/app/blobs/" + DIGEST,
            "referrers", "/v2/team/app/referrers/" + DIGEST,
            "tags", "/v2/team/app/tags/list",
            "unknown", "/v2/team/app/unknown/endpoint");

    private static final RouteTable TABLE = Routes.table(new ListingRoutes(null, null),
            new ManifestRoutes(null, 1024, null), new BlobRoutes(null), new UploadRoutes(null, null), null,
            new GcAdmin(null), new LifecycleAdmin(null, null), new EventsAdmin(null),
            new ManagementRoutes(null, null), new UiRoutes(null, null, null), new HealthRoutes(null, null));

    /** Every endpoint, in the order the table lists them, and a path that matches none. */
    @Param({"base", "uploadStart", "upload", "manifest", "blob", "referrers", "tags", "unknown"})
    public String endpoint;

    private String path;

    @Setup
    public void setUp() {
        path = PATHS.get(endpoint);
    }

    @Benchmark
    public RouteTable.Match route() {
        return TABLE.find("GET", path);
    }
}
