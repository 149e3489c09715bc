package io.berth.server.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.client.Page;
import io.berth.client.RegistryClient;
import io.berth.client.Repository;
import io.berth.server.testing.Backend;
import io.berth.server.testing.TestRegistry;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Berth pages tag lists as the spec says ({@code n}, {@code last}, {@code Link}), and the client follows them. */
class TagPagesTest {
    @Test
    void tagsComePageByPageInOrderAndAllOfThemAcrossPages() throws Exception {
        try (TestRegistry registry = TestRegistry.start(Backend.SQLITE)) {
            Repository repository = RegistryClient.builder(registry.hostPort()).plainHttp(true).build()
                    .repository("paged/app");
            List<String> tags = new ArrayList<>();
            for (int i = 0; i < 7; i++) {
                tags.add("t" + i);
                TokenSignInTest.pushImage(repository, "t" + i, 7);
            }

            Page first = repository.tags(3, null);
            Page second = repository.tags(3, first.next());
            Page third = repository.tags(3, second.next());

            assertThat(first.items()).containsExactly("t0", "t1", "t2");
            assertThat(second.items()).containsExactly("t3", "t4", "t5");
            assertThat(third.items()).containsExactly("t6");
            assertThat(third.next()).isNull();
            assertThat(repository.tags()).containsExactlyElementsOf(tags);
        }
    }
}
