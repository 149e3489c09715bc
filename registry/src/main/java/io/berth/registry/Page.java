package io.berth.registry;

import java.util.List;

/** One page of a sorted listing; {@code last} names where the next page starts when there is one. */
public record Page<T>(List<T> items, String last) {
    public Page {
        items = List.copyOf(items);
    }

    public boolean hasMore() {
        return last != null;
    }
}
