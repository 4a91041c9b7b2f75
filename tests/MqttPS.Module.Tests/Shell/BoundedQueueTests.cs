using System;
using System.Collections.Generic;
using System.Linq;
using MqttPS.Core.Client;
using MqttPS.Core.Shell;
using Xunit;

namespace MqttPS.Module.Tests.Shell
{
    public class BoundedQueueTests
    {
        private static List<string> Drain(BoundedQueue<string> q)
        {
            var taken = new List<string>();
            while (q.TryTake(TimeSpan.Zero, out var item)) taken.Add(item);
            return taken;
        }

        [Fact]
        public void Items_that_must_not_be_lost_are_all_kept_and_wait_for_room_in_order()
        {
            var q = new BoundedQueue<string>(2);
            var admissions = Enumerable.Range(0, 5).Select(i => q.Add("m" + i, mayDrop: false)).ToList();
            Assert.All(admissions.Take(2), a => Assert.True(a.IsCompleted));
            Assert.All(admissions.Skip(2), a => Assert.False(a.IsCompleted));
            Assert.Equal(3, q.HeldBack);
            Assert.True(q.TryTake(TimeSpan.Zero, out var first));
            Assert.Equal("m0", first);
            admissions[2].Wait(1000); // the oldest waiting one gets the room, not a later one
            Assert.True(admissions[2].IsCompleted);
            Assert.False(admissions[3].IsCompleted);
            Assert.Equal(new[] { "m1", "m2", "m3", "m4" }, Drain(q));
            Assert.True(admissions.All(a => a.Wait(1000)));
            Assert.Equal(0, q.Dropped);
        }

        [Fact]
        public void DropOldest_discards_the_oldest_droppable_item_and_never_one_that_must_not_be_lost()
        {
            var q = new BoundedQueue<string>(3, ReceiveOverflowPolicy.DropOldest);
            q.Add("qos1-a", false);
            q.Add("qos0-b", true);
            q.Add("qos1-c", false);
            Assert.True(q.Add("qos0-d", true).IsCompleted); // full: b (the oldest QoS 0) goes
            Assert.True(q.Add("qos0-e", true).IsCompleted); // full: d goes
            Assert.Equal(2, q.Dropped);
            Assert.Equal(new[] { "qos1-a", "qos1-c", "qos0-e" }, Drain(q));
        }

        [Fact]
        public void DropOldest_with_nothing_droppable_queued_drops_the_arriving_item()
        {
            var q = new BoundedQueue<string>(2, ReceiveOverflowPolicy.DropOldest);
            q.Add("qos1-a", false);
            q.Add("qos1-b", false);
            Assert.True(q.Add("qos0-c", true).IsCompleted);
            Assert.Equal(1, q.Dropped);
            Assert.Equal(new[] { "qos1-a", "qos1-b" }, Drain(q));
        }

        [Fact]
        public void DropNewest_discards_the_arriving_item()
        {
            var q = new BoundedQueue<string>(2, ReceiveOverflowPolicy.DropNewest);
            foreach (var i in Enumerable.Range(0, 5)) Assert.True(q.Add("m" + i, true).IsCompleted);
            Assert.Equal(3, q.Dropped);
            Assert.Equal(new[] { "m0", "m1" }, Drain(q));
        }

        [Fact]
        public void Backpressure_makes_droppable_items_wait_instead()
        {
            var q = new BoundedQueue<string>(1, ReceiveOverflowPolicy.Backpressure);
            Assert.True(q.Add("m0", true).IsCompleted);
            var second = q.Add("m1", true);
            Assert.False(second.IsCompleted);
            Assert.True(q.TryTake(TimeSpan.Zero, out _));
            Assert.True(second.Wait(1000));
            Assert.Equal(0, q.Dropped);
        }

        [Fact]
        public void Complete_releases_waiting_producers_and_the_consumer_drains_what_is_queued()
        {
            var q = new BoundedQueue<string>(1);
            q.Add("m0", false);
            var waiting = q.Add("m1", false);
            q.Complete();
            Assert.True(waiting.Wait(1000));
            Assert.True(q.Add("late", false).IsCompleted); // ignored
            Assert.Equal(new[] { "m0", "m1" }, Drain(q));
            Assert.True(q.IsFinished);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            Assert.False(q.TryTake(TimeSpan.FromSeconds(5), out _));
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2));
        }
    }
}
