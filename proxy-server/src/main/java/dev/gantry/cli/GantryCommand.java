package dev.gantry.cli;

public final class GantryCommand {
    public static void main(String[] args) {
    }
}
