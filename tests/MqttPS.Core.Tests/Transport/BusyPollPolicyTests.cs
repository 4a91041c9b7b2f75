using MqttPS.Core.Transport.Epoll;
using Xunit;

namespace MqttPS.Core.Tests.Transport
{
    /// <summary>The epoll loop's switch between blocking and timed polling, on a clock of one tick per microsecond.</summary>
    public sealed class BusyPollPolicyTests
    {
        private const long TicksPerSecond = 1_000_000;
        private const long Busy = BusyPollPolicy.BusyGapMicroseconds - 1;
        private const long Quiet = BusyPollPolicy.BusyGapMicroseconds + 1;

        private static long WakeUps(BusyPollPolicy policy, long start, int count, long gap)
        {
            var now = start;
            for (var i = 0; i < count; i++) policy.OnWokenWithEvents(now += gap);
            return now;
        }

        [Fact]
        public void A_broker_woken_now_and_then_keeps_blocking()
        {
            var policy = new BusyPollPolicy(TicksPerSecond);
            WakeUps(policy, 0, 1000, 1000); // 1,000 messages a second
            Assert.False(policy.Polling);
            WakeUps(policy, 0, 1000, Quiet);
            Assert.False(policy.Polling);
        }

        [Fact]
        public void A_run_of_wake_ups_close_together_starts_polling()
        {
            var policy = new BusyPollPolicy(TicksPerSecond);
            var now = WakeUps(policy, 0, 1, 1000);
            now = WakeUps(policy, now, BusyPollPolicy.BusyWakeUpsToStart - 1, Busy);
            Assert.False(policy.Polling);
            WakeUps(policy, now, 1, Busy);
            Assert.True(policy.Polling);
        }

        [Fact]
        public void One_longer_gap_starts_the_count_again()
        {
            var policy = new BusyPollPolicy(TicksPerSecond);
            var now = WakeUps(policy, 0, BusyPollPolicy.BusyWakeUpsToStart - 1, Busy);
            now = WakeUps(policy, now, 1, Quiet);
            now = WakeUps(policy, now, BusyPollPolicy.BusyWakeUpsToStart - 1, Busy);
            Assert.False(policy.Polling);
            WakeUps(policy, now, 1, Busy);
            Assert.True(policy.Polling);
        }

        [Fact]
        public void Polls_that_find_nothing_for_a_while_go_back_to_blocking_and_busy_polls_do_not()
        {
            var policy = new BusyPollPolicy(TicksPerSecond);
            var now = WakeUps(policy, 0, BusyPollPolicy.BusyWakeUpsToStart + 1, Busy);
            Assert.True(policy.Polling);

            for (var round = 0; round < 10; round++)
            {
                for (var i = 0; i < BusyPollPolicy.EmptyPollsToStop - 1; i++) policy.OnEmptyPoll();
                policy.OnPollWithEvents(); // traffic keeps coming: keep polling
                Assert.True(policy.Polling);
            }
            for (var i = 0; i < BusyPollPolicy.EmptyPollsToStop - 1; i++) policy.OnEmptyPoll();
            Assert.True(policy.Polling);
            policy.OnEmptyPoll();
            Assert.False(policy.Polling);

            // Back to blocking, it takes a whole new run of close wake-ups to poll again.
            WakeUps(policy, now + 10_000, BusyPollPolicy.BusyWakeUpsToStart - 1, Busy);
            Assert.False(policy.Polling);
        }
    }
}
