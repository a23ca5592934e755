package dev.gantry.scan;

import java.util.ArrayList;
import java.util.List;

/** A bounded list of notes: the first few in full, then a count, so a layer of a million odd files stays small. */
final class Notes {
    static final int MAX = 20;

    private final List<String> notes = new ArrayList<>();
    private int dropped;

    void add(String note) {
        if (notes.size() < MAX) {
            notes.add(note.length() > 300 ? note.substring(0, 300) + "…" : note);
        } else {
            dropped++;
        }
    }

    boolean isEmpty() {
        return notes.isEmpty();
    }

    List<String> toList() {
        List<String> out = new ArrayList<>(notes);
        if (dropped > 0) {
            out.add("… and " + dropped + " more");
        }
        return out;
    }
}
