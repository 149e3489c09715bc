package io.berth.server.scale;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.s3.S3Settings;
import io.berth.server.protocol.RegistryClient;
import io.berth.server.testing.ChildServer;
import io.berth.server.testing.LoadBalancer;
import io.berth.server.testing.S3Store;
import io.berth.server.testing.TestDatabase;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * One of two nodes behind HAProxy is killed with SIGKILL while clients push: clients retry what failed, every image
 * whose manifest PUT was acknowledged pulls whole through the balancer and from the surviving node, and the killed
 * node, started again on the same configuration, serves them too.
 */
class NodeKillTest {
    @RegisterExtension
    static final S3Store s3 = new S3Store();

    @Test
    void everyAcknowledgedImageSurvivesTheKillOfANodeDuringPushes(@TempDir Path dir) throws Exception {
        S3Settings bucket = s3.bucket("berth/");
        try (TestDatabase database = TestDatabase.create();
             ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            Path config = NodeFiles.config(dir.resolve("berth.yaml"), database.url(), bucket);
            // Both JVMs start at once: the test's time is mostly theirs.
            Future<ChildServer> startingFirst = threads.submit(() -> node(dir, 1, config));
            Future<ChildServer> startingSecond = threads.submit(() -> node(dir, 2, config));
            ChildServer doomed = startingFirst.get();
            ChildServer survivor = startingSecond.get();
            ChildServer restarted = null;
            try (LoadBalancer balancer = LoadBalancer.start(LoadBalancer.Kind.HAPROXY,
                    List.of(hostPort(doomed), hostPort(survivor)), dir.resolve("haproxy"))) {
                RegistryClient client = new RegistryClient(balancer.url(), RegistryClient.newHttpClient());
                ImagePushes pushes = new ImagePushes(client, 10);
                AtomicBoolean running = new AtomicBoolean(true);
                List<Future<?>> pushers = new ArrayList<>();
                for (int p = 0; p < 4; p++) {
                    int pusher = p;
                    pushers.add(threads.submit(() -> {
                        for (int i = 0; running.get(); i++) {
                            pushes.push("kill/app" + pusher, "v" + i, 200_000 + i);
                        }
                    }));
                }
                awaitImages(pushes, 4);
                int beforeKill = pushes.acknowledgedImages().size();
                doomed.kill();
                awaitImages(pushes, beforeKill + 8);
                running.set(false);
                for (Future<?> pusher : pushers) {
                    pusher.get();
                }

                List<ImagePushes.Image> images = pushes.acknowledgedImages();
                // Requests in flight on the killed node fail (502, or a broken connection) and are retried; those
                // that find it gone are sent to the other node by HAProxy itself (retries, option redispatch).
                RegistryClient direct = new RegistryClient(survivor.url(), RegistryClient.newHttpClient());
                for (ImagePushes.Image image : images) {
                    ImagePushes.assertServed(client, image, "through the balancer");
                    ImagePushes.assertServed(direct, image, "from the surviving node");
                }

                restarted = doomed.restart();
                RegistryClient back = new RegistryClient(restarted.url(), RegistryClient.newHttpClient());
                for (ImagePushes.Image image : images) {
                    ImagePushes.assertServed(back, image, "from the restarted node");
                }
            } finally {
                survivor.close();
                if (restarted != null) {
                    restarted.close();
                }
                doomed.close();
            }
        }
    }

    private static ChildServer node(Path dir, int index, Path config) {
        return ChildServer.start(dir.resolve("node" + index), Map.of("BERTH_CONFIG", config.toString()),
                dir.resolve("node" + index + ".log"));
    }

    private static String hostPort(ChildServer node) {
        return node.url().substring("http://".length());
    }

    private static void awaitImages(ImagePushes pushes, int count) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (pushes.acknowledgedImages().size() < count) {
            assertThat(System.nanoTime()).as("%d images acknowledged; answers: %s", pushes.acknowledgedImages().size(),
                    pushes.answers()).isLessThan(deadline);
            Thread.sleep(20);
        }
    }
}
