package io.berth.server.protocol;

import static io.berth.server.protocol.RegistryClient.body;
import static io.berth.server.protocol.RegistryClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.testing.TestRegistry;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;

/** Docker registry API "Listing Repositories": {@code GET /v2/_catalog} with {@code n}, {@code last} and {@code Link}. */
class CatalogTest extends PerBackendRegistryTest {
    /** In lexical order; pushed shuffled into a registry of their own. */
    private static final List<String> REPOSITORIES = List.of(
            "alpha", "beta/one", "beta/two", "gamma", "gamma-ray", "library/ubuntu", "org/team/app", "zulu");

    @BeforeParameterizedClassInvocation
    static void pushRepositories() {
        List<String> shuffled = new ArrayList<>(REPOSITORIES);
        Collections.shuffle(shuffled);
        for (String repository : shuffled) {
            client.pushImage(repository, "latest");
        }
    }

    @Test
    void listsEveryRepositoryInLexicalOrder() {
        HttpResponse<byte[]> response = client.get("/v2/_catalog");

        assertThat(response.statusCode()).as(body(response)).isEqualTo(200);
        assertThat(Pagination.collect(List.of(response), "repositories")).containsExactlyElementsOf(REPOSITORIES);
        assertThat(Pagination.next(response)).isEmpty();
    }

    @Test
    void nLimitsThePageAndLinkPointsToTheNextOne() {
        HttpResponse<byte[]> response = client.get("/v2/_catalog?n=3");

        assertThat(Pagination.collect(List.of(response), "repositories")).containsExactlyElementsOf(REPOSITORIES.subList(0, 3));
        assertThat(Pagination.next(response)).hasValueSatisfying(next -> {
            assertThat(next).startsWith("/v2/_catalog?");
            assertThat(next).contains("n=3").containsAnyOf("last=beta/two", "last=beta%2Ftwo", "last=beta%2ftwo");
        });
    }

    @Test
    void followingLinkHeadersYieldsEveryRepositoryExactlyOnceInOrder() {
        List<HttpResponse<byte[]>> pages = Pagination.pages(client, "/v2/_catalog?n=3");

        assertThat(pages).hasSize(3);
        assertThat(Pagination.collect(pages, "repositories")).containsExactlyElementsOf(REPOSITORIES);
    }

    @Test
    void lastStartsAfterTheGivenRepository() {
        HttpResponse<byte[]> response = client.get("/v2/_catalog?n=2&last=beta%2Fone");

        assertThat(response.statusCode()).as(body(response)).isEqualTo(200);
        assertThat(Pagination.collect(List.of(response), "repositories")).containsExactly("beta/two", "gamma");
    }

    @Test
    void nOfZeroAnswersAnEmptyListWithoutLink() {
        HttpResponse<byte[]> response = client.get("/v2/_catalog?n=0");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(json(response).path("repositories")).isEmpty();
        assertThat(response.headers().firstValue("Link")).isEmpty();
    }

    @Test
    void emptyRegistryAnswersAnEmptyList() {
        try (TestRegistry empty = setup.start()) {
            HttpResponse<byte[]> response = new RegistryClient(empty.url()).get("/v2/_catalog");

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(json(response).path("repositories")).isEmpty();
        }
    }
}
