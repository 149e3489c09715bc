package io.berth.server;

import java.util.List;

/**
 * Each repository matching one of {@code repositories} may hold at most {@code maxBytes} (its manifests and the
 * blobs it links, each blob once) and {@code maxImages} images; null for no limit.
 */
public record QuotaRule(List<String> repositories, Long maxBytes, Long maxImages) {
    public QuotaRule {
        repositories = List.copyOf(repositories);
    }
}
