using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using MqttPS.Core.Transport.Epoll;
using Xunit;

namespace MqttPS.Core.Tests.Transport
{
    /// <summary>
    /// The broker's Linux socket engine, one socket pair per test: the server end is an <see cref="EpollSocketStream"/>,
    /// the client end a plain .NET socket. Every broker test on Linux runs over this engine as well; these pin down the
    /// stream contract the broker relies on (zero-byte reads, end of stream, back-pressure, disposal).
    /// </summary>
    public sealed class EpollSocketStreamTests
    {
        private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

        private static bool OnLinux => RuntimeInformation.IsOSPlatform(OSPlatform.Linux)
            && (RuntimeInformation.ProcessArchitecture == Architecture.X64 || RuntimeInformation.ProcessArchitecture == Architecture.Arm64);

        private sealed class Pair : IDisposable
        {
            public Socket Client;
            public EpollSocketStream Server;
            public void Dispose()
            {
                Client.Dispose();
                Server.Dispose();
            }
        }

        private static async Task<Pair> OpenAsync()
        {
            Assert.True(EpollEventLoop.IsSupported, "the epoll engine must be in use on Linux x64/arm64");
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(1);
            var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            var accept = listener.AcceptAsync();
            await client.ConnectAsync(listener.LocalEndPoint);
            var accepted = await accept;
            return new Pair { Client = client, Server = new EpollSocketStream(accepted, EpollEventLoop.Next()) };
        }

        private static async Task<T> Within<T>(Task<T> task, string what)
        {
            if (await Task.WhenAny(task, Task.Delay(Patience)) != task) throw new TimeoutException(what + " did not complete within " + Patience.TotalSeconds + " s");
            return await task;
        }

        private static async Task<byte[]> ReceiveExactly(Socket socket, int count)
        {
            var buffer = new byte[count];
            var got = 0;
            while (got < count)
            {
                var n = await socket.ReceiveAsync(new ArraySegment<byte>(buffer, got, count - got), SocketFlags.None);
                if (n == 0) throw new EndOfStreamException("after " + got + " of " + count + " bytes");
                got += n;
            }
            return buffer;
        }

        [Fact]
        public async Task Bytes_go_both_ways()
        {
            if (!OnLinux) return;
            using var pair = await OpenAsync();
            await pair.Client.SendAsync(new byte[] { 1, 2, 3 }, SocketFlags.None);
            var buffer = new byte[16];
            var n = await Within(pair.Server.ReadAsync(buffer, 0, buffer.Length), "read");
            Assert.Equal(new byte[] { 1, 2, 3 }, new ArraySegment<byte>(buffer, 0, n).ToArray());

            await pair.Server.WriteAsync(new byte[] { 9, 8, 7, 6 }, 1, 3);
            Assert.Equal(new byte[] { 8, 7, 6 }, await ReceiveExactly(pair.Client, 3));
        }

        [Fact]
        public async Task A_zero_byte_read_waits_for_data_and_takes_none_of_it()
        {
            if (!OnLinux) return;
            using var pair = await OpenAsync();
            var ready = pair.Server.ReadAsync(Array.Empty<byte>(), 0, 0);
            await Task.Delay(200);
            Assert.False(ready.IsCompleted, "a zero-byte read on an empty socket must wait");

            await pair.Client.SendAsync(new byte[] { 42, 43 }, SocketFlags.None);
            Assert.Equal(0, await Within(ready, "zero-byte read after data arrived"));
            var buffer = new byte[8];
            var n = await Within(pair.Server.ReadAsync(buffer, 0, buffer.Length), "read");
            Assert.Equal(new byte[] { 42, 43 }, new ArraySegment<byte>(buffer, 0, n).ToArray());
        }

        [Fact]
        public async Task End_of_stream_right_behind_the_last_bytes_is_seen()
        {
            // The peer's last bytes and its FIN can arrive as one epoll edge. A zero-byte read after reading those bytes
            // must still complete, or the connection hangs half-closed (CLOSE_WAIT) for good.
            if (!OnLinux) return;
            using var pair = await OpenAsync();
            await pair.Client.SendAsync(new byte[] { 5, 6, 7 }, SocketFlags.None);
            pair.Client.Shutdown(SocketShutdown.Send);
            await Task.Delay(200); // let the loop count the edge before anything is read

            Assert.Equal(0, await Within(pair.Server.ReadAsync(Array.Empty<byte>(), 0, 0), "first zero-byte read"));
            var buffer = new byte[64];
            Assert.Equal(3, await Within(pair.Server.ReadAsync(buffer, 0, buffer.Length), "read of the last bytes"));
            Assert.Equal(0, await Within(pair.Server.ReadAsync(Array.Empty<byte>(), 0, 0), "zero-byte read at end of stream"));
            Assert.Equal(0, await Within(pair.Server.ReadAsync(buffer, 0, buffer.Length), "read at end of stream"));
        }

        [Fact]
        public async Task A_write_bigger_than_the_socket_buffers_waits_for_the_reader_and_arrives_whole_and_in_order()
        {
            if (!OnLinux) return;
            using var pair = await OpenAsync();
            var data = new byte[8 * 1024 * 1024];
            new Random(7).NextBytes(data);
            var write = pair.Server.WriteAsync(data, 0, data.Length);
            await Task.Delay(300);
            Assert.False(write.IsCompleted, "8 MiB cannot fit in loopback socket buffers while nobody reads");

            var received = await ReceiveExactly(pair.Client, data.Length);
            await Within(write.ContinueWith(t => { t.GetAwaiter().GetResult(); return true; }), "write");
            Assert.Equal(data, received);
        }

        [Fact]
        public async Task Dispose_ends_a_pending_read_and_closes_the_socket()
        {
            if (!OnLinux) return;
            using var pair = await OpenAsync();
            var zeroByte = pair.Server.ReadAsync(Array.Empty<byte>(), 0, 0);
            await Task.Delay(100);
            Assert.False(zeroByte.IsCompleted);

            pair.Server.Dispose();
            await Assert.ThrowsAsync<ObjectDisposedException>(() => Within(zeroByte, "pending read after dispose"));
            Assert.Equal(0, await Within(pair.Client.ReceiveAsync(new ArraySegment<byte>(new byte[4]), SocketFlags.None), "client read after the server closed"));
            await Assert.ThrowsAsync<ObjectDisposedException>(() => pair.Server.ReadAsync(new byte[4], 0, 4));
            await Assert.ThrowsAsync<ObjectDisposedException>(() => pair.Server.WriteAsync(new byte[4], 0, 4));
        }

        [Fact]
        public async Task A_reset_by_the_peer_fails_the_read_with_an_IOException()
        {
            if (!OnLinux) return;
            using var pair = await OpenAsync();
            var ready = pair.Server.ReadAsync(Array.Empty<byte>(), 0, 0);
            pair.Client.LingerState = new LingerOption(true, 0); // close with RST
            pair.Client.Close();
            var failure = await Record.ExceptionAsync(async () =>
            {
                await Within(ready, "zero-byte read after the reset");
                await Within(pair.Server.ReadAsync(new byte[16], 0, 16), "read after the reset");
            });
            var io = Assert.IsType<IOException>(failure);
            Assert.Contains("ECONNRESET", io.Message);
        }
        /// <summary>The thread a pending read's continuation runs on (ExecuteSynchronously: where the wake-up completed it).</summary>
        private static async Task<string> ThreadThatResumesAsync(Pair pair)
        {
            var buffer = new byte[16];
            var read = pair.Server.ReadAsync(buffer, 0, buffer.Length);
            Assert.False(read.IsCompleted, "nothing was sent yet");
            var resumedOn = read.ContinueWith(_ => Thread.CurrentThread.Name ?? "(thread pool)", TaskContinuationOptions.ExecuteSynchronously);
            await pair.Client.SendAsync(new byte[] { 1 }, SocketFlags.None);
            return await Within(resumedOn, "the read's continuation");
        }

        [Fact]
        public async Task A_wake_up_resumes_the_waiting_code_on_the_loop_thread_without_any_process_switch()
        {
            if (!OnLinux) return;
            // Inline is the default, not a process-wide setting: this test process does not set
            // DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS.
            Assert.Null(Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"));
            using var pair = await OpenAsync();
            Assert.StartsWith("MqttPS epoll", await ThreadThatResumesAsync(pair));
        }

        [Fact]
        public async Task A_stream_told_not_to_complete_inline_resumes_its_waiting_code_on_the_thread_pool()
        {
            if (!OnLinux) return;
            using var pair = await OpenAsync();
            pair.Server.CompletesInline = false;
            var thread = await ThreadThatResumesAsync(pair);
            Assert.DoesNotContain("MqttPS epoll", thread);
        }

        [Fact]
        public async Task A_blocking_read_on_the_loop_thread_fails_instead_of_stalling_the_loop()
        {
            if (!OnLinux) return;
            using var pair = await OpenAsync();
            var buffer = new byte[16];
            var first = pair.Server.ReadAsync(buffer, 0, buffer.Length);
            // Runs on the loop's thread (inline), where a blocking read that has to wait could never be woken.
            var blocking = first.ContinueWith(_ =>
            {
                try { return "read " + pair.Server.Read(buffer, 0, buffer.Length) + " bytes"; }
                catch (InvalidOperationException e) { return e.Message; }
            }, TaskContinuationOptions.ExecuteSynchronously);
            await pair.Client.SendAsync(new byte[] { 1 }, SocketFlags.None);
            var outcome = await Within(blocking, "the blocking read");
            Assert.Contains("never complete", outcome);
            // The loop still serves other sockets.
            using var other = await OpenAsync();
            await other.Client.SendAsync(new byte[] { 2 }, SocketFlags.None);
            Assert.Equal(1, await Within(other.Server.ReadAsync(buffer, 0, buffer.Length), "a read on another socket"));
        }
    }
}
