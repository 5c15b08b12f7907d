using AkkaChat.Client.Internal;
using static AkkaChat.Client.Internal.DeliveryTracker.Admission;

namespace AkkaChat.Client.Tests;

public sealed class DeliveryTrackerTests
{
    [Fact]
    public void Nothing_is_acknowledgeable_before_the_application_moves_past_an_item()
    {
        var tracker = new DeliveryTracker(16);

        Assert.Equal(Deliver, tracker.Admit(1, "a"));
        Assert.Equal(Deliver, tracker.Admit(2, "b"));

        Assert.Equal(0UL, tracker.Acknowledgeable);
    }

    [Fact]
    public void The_acknowledgeable_seq_is_the_highest_one_moved_past_in_order()
    {
        var tracker = new DeliveryTracker(16);
        tracker.Admit(1, "a");
        tracker.Admit(2, "b");
        tracker.Admit(3, "c");

        Assert.True(tracker.MovedPast(1));
        Assert.True(tracker.MovedPast(2));

        Assert.Equal(2UL, tracker.Acknowledgeable);
    }

    [Fact]
    public void An_item_sent_again_with_a_seq_already_seen_is_a_duplicate_and_does_not_hold_back_acknowledgement()
    {
        var tracker = new DeliveryTracker(16);
        tracker.Admit(1, "a");
        tracker.Admit(2, "b");
        tracker.MovedPast(1);

        Assert.Equal(Duplicate, tracker.Admit(1, "a"));
        Assert.Equal(Duplicate, tracker.Admit(2, "b"));
        Assert.Equal(Deliver, tracker.Admit(3, "c"));

        Assert.Equal(2, tracker.DuplicatesDropped);
        Assert.Equal(1UL, tracker.Acknowledgeable);
        tracker.MovedPast(2);
        tracker.MovedPast(3);
        Assert.Equal(3UL, tracker.Acknowledgeable);
    }

    [Fact]
    public void The_same_id_under_a_new_seq_is_dropped_and_acknowledged_with_the_items_around_it()
    {
        var tracker = new DeliveryTracker(16);
        tracker.Admit(1, "a");

        Assert.Equal(Duplicate, tracker.Admit(2, "a"));
        Assert.Equal(0UL, tracker.Acknowledgeable);
        tracker.MovedPast(1);

        Assert.Equal(2UL, tracker.Acknowledgeable);
    }

    [Fact]
    public void Gaps_in_the_seqs_do_not_block_acknowledgement()
    {
        var tracker = new DeliveryTracker(16);
        tracker.Admit(4, "a");
        tracker.Admit(7, "b");

        tracker.MovedPast(4);
        Assert.Equal(6UL, tracker.Acknowledgeable);
        tracker.MovedPast(7);
        Assert.Equal(7UL, tracker.Acknowledgeable);
    }

    [Fact]
    public void Ids_are_forgotten_oldest_first_beyond_the_memory()
    {
        var ids = new RecentIds(2);

        Assert.True(ids.Add("a"));
        Assert.True(ids.Add("b"));
        Assert.False(ids.Add("a"));
        Assert.True(ids.Add("c"));

        Assert.Equal(2, ids.Count);
        Assert.True(ids.Add("a"));
    }
}
