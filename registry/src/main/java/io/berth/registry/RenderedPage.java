package io.berth.registry;

import java.util.List;
import java.util.function.Function;

/**
 * One page of a listing (a repository's tags, a subject's referrers) as the API sends it: rendered once when it is
 * read from the database, then sent from memory as it is, by every request that asks for it. {@code json} is shared:
 * it must not be changed. {@code size} counts the page's entries; {@code last} names where the next page starts,
 * when there is one.
 */
public record RenderedPage(byte[] json, int size, String last) {
    static <T> RenderedPage of(Page<T> page, Function<List<T>, byte[]> render) {
        return new RenderedPage(render.apply(page.items()), page.items().size(), page.last());
    }

    public boolean hasMore() {
        return last != null;
    }
}
