package io.berth.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.server.http.Route.Endpoint;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RouteTest {

    @ParameterizedTest
    @CsvSource(nullValues = "-", value = {
        "/v2,                                      BASE,         -,              -",
        "/v2/,                                     BASE,         -,              -",
        "/v2/_catalog,                             CATALOG,      -,              -",
        "/v2/a/tags/list,                          TAGS,         a,              -",
        "/v2/team/app/manifests/latest,            MANIFEST,     team/app,       latest",
        "/v2/team/app/manifests/sha256:ab,         MANIFEST,     team/app,       sha256:ab",
        "/v2/a/blobs/sha256:ab,                    BLOB,         a,              sha256:ab",
        "/v2/a/b/blobs/uploads/,                   UPLOAD_START, a/b,            -",
        "/v2/a/b/blobs/uploads,                    UPLOAD_START, a/b,            -",
        "/v2/a/b/blobs/uploads/1234-abcd,          UPLOAD,       a/b,            1234-abcd",
        "/v2/a/referrers/sha256:ab,                REFERRERS,    a,              sha256:ab",
        // names that contain the endpoint words are still names
        "/v2/blobs/manifests/manifests/v1,         MANIFEST,     blobs/manifests, v1",
        "/v2/x/blobs/blobs/uploads/,               UPLOAD_START, x/blobs,        -",
        "/v2/tags/list/tags/list,                  TAGS,         tags/list,      -",
        "/v2/uploads/blobs/sha256:ab,              BLOB,         uploads,        sha256:ab",
        // nothing to route
        "/v2/manifests/latest,                     UNKNOWN,      -,              -",
        "/v2/a/manifests/,                         UNKNOWN,      -,              -",
        "/v2/a/blobs/,                             UNKNOWN,      -,              -",
        "/v2/blobs/uploads/,                       UNKNOWN,      -,              -",
        "/v2/a/tags/other,                         UNKNOWN,      -,              -",
        "/v2/a/unknown/x,                          UNKNOWN,      -,              -",
        "/v3/a/manifests/latest,                   UNKNOWN,      -,              -",
        "/,                                        UNKNOWN,      -,              -"
    })
    void recognisesEndpointsFromTheEndOfThePath(String path, Endpoint endpoint, String name, String reference) {
        assertThat(Route.of(path)).isEqualTo(new Route(endpoint, name, reference));
    }
}
