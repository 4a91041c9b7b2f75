# Helpers shared by the Pester files (tests/*.Tests.ps1). Import in BeforeAll:
#   Import-Module (Join-Path $PSScriptRoot 'TestHelpers/MqttPSTestHelpers.psm1') -Force
# Every wait here has a deadline: a test that would hang fails instead.

$script:RepositoryRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path

function Get-MqttPSModulePath {
    <# The module manifest of the build under test (out/MqttPS, laid out by dotnet build src/MqttPS). #>
    Join-Path $script:RepositoryRoot 'out/MqttPS/MqttPS.psd1'
}

function Get-FreeTcpPort {
    <# A loopback port that was free a moment ago. #>
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

function Wait-Until {
    <# Polls the condition until it is true; throws (naming -Because) when the deadline passes. #>
    param(
        [Parameter(Mandatory)] [scriptblock] $Condition,
        [double] $TimeoutSeconds = 10,
        [int] $IntervalMilliseconds = 50,
        [string] $Because = 'the condition'
    )
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while (-not (& $Condition)) {
        if ([DateTime]::UtcNow -ge $deadline) { throw "Timed out after $TimeoutSeconds s waiting for $Because." }
        Start-Sleep -Milliseconds $IntervalMilliseconds
    }
}

function Wait-TcpPort {
    <# Waits until something accepts connections on 127.0.0.1:Port. #>
    param([Parameter(Mandatory)] [int] $Port, [double] $TimeoutSeconds = 10)
    Wait-Until -TimeoutSeconds $TimeoutSeconds -Because "a listener on port $Port" -Condition {
        try { $probe = [System.Net.Sockets.TcpClient]::new('127.0.0.1', $Port); $probe.Dispose(); $true } catch { $false }
    }
}

function Start-Mosquitto {
    <#
    Starts Debian's mosquitto on a free loopback port (or -Port) with a configuration written to a new temporary
    folder: a loopback listener, no persistence, anonymous access unless -ConfigLines say otherwise. Returns an
    object with Port, Uri, Directory, ConfigPath and Process; stop it with Stop-Mosquitto (by process id).
    #>
    param([string[]] $ConfigLines = @(), [int] $Port = 0, [string] $Directory)
    $mosquitto = '/usr/sbin/mosquitto'
    if (-not (Test-Path $mosquitto)) { throw 'mosquitto is not installed: run tests/install-dependencies.sh as root.' }
    if (-not $Directory) { $Directory = Join-Path ([IO.Path]::GetTempPath()) ("mqttps-mosquitto-" + [Guid]::NewGuid().ToString('n')) }
    $null = New-Item -ItemType Directory -Force -Path $Directory
    if ($Port -eq 0) { $Port = Get-FreeTcpPort }
    $lines = @("listener $Port 127.0.0.1", 'persistence false')
    if (-not ($ConfigLines | Where-Object { $_ -like 'allow_anonymous*' })) { $lines += 'allow_anonymous true' }
    $configPath = Join-Path $Directory 'mosquitto.conf'
    Set-Content -Path $configPath -Value ($lines + $ConfigLines)
    $server = [pscustomobject]@{
        Port = $Port; Uri = "mqtt://127.0.0.1:$Port"; Directory = $Directory; ConfigPath = $configPath; Process = $null
        LogPath = Join-Path $Directory 'mosquitto.log'
    }
    Start-MosquittoProcess -Server $server
    $server
}

function Start-MosquittoProcess {
    <# (Re)starts the mosquitto process of a server from Start-Mosquitto, with the same configuration and port. #>
    param([Parameter(Mandatory)] $Server)
    $start = [System.Diagnostics.ProcessStartInfo]::new('/usr/sbin/mosquitto')
    $start.ArgumentList.Add('-c'); $start.ArgumentList.Add($Server.ConfigPath)
    $start.UseShellExecute = $false
    $start.RedirectStandardError = $true
    $start.RedirectStandardOutput = $true
    $process = [System.Diagnostics.Process]::Start($start)
    # Drain the pipes so that a chatty broker never blocks on a full pipe.
    $null = $process.StandardError.ReadToEndAsync()
    $null = $process.StandardOutput.ReadToEndAsync()
    $Server.Process = $process
    Wait-TcpPort -Port $Server.Port
}

function Stop-Mosquitto {
    <# Stops mosquitto by its process id (-Kill: SIGKILL, as a crash) and, unless -KeepDirectory, removes its folder. #>
    param([Parameter(Mandatory, ValueFromPipeline)] $Server, [switch] $Kill, [switch] $KeepDirectory)
    process {
        if ($Server.Process -and -not $Server.Process.HasExited) {
            if ($Kill) { $Server.Process.Kill() } else { $null = & kill -TERM $Server.Process.Id }
            if (-not $Server.Process.WaitForExit(10000)) { $Server.Process.Kill() }
        }
        if (-not $KeepDirectory) { Remove-Item -Recurse -Force -Path $Server.Directory -ErrorAction SilentlyContinue }
    }
}

function Start-MosquittoSubscriber {
    <#
    Starts Debian's mosquitto_sub against a server from Start-Mosquitto, subscribed to -Topic at -QoS with -Version
    (mqttv5, mqttv311, mqttv31), writing "topic payload" lines to a file. Returns once its subscription is in place
    (a probe sent with mosquitto_pub to a topic of its own has arrived), with Process, OutputPath and ProbeTopic.
    Read with Wait-MosquittoSubscriberLine; stop with Stop-MosquittoSubscriber (by process id).
    #>
    param([Parameter(Mandatory)] $Server, [Parameter(Mandatory)] [string] $Topic, [int] $QoS = 0, [string] $Version = 'mqttv311',
        [double] $TimeoutSeconds = 10)
    $probeTopic = 'mqttps-probe/' + [Guid]::NewGuid().ToString('n')
    $output = Join-Path $Server.Directory ('sub-' + [Guid]::NewGuid().ToString('n') + '.txt')
    # Line-buffered (stdbuf), so the file grows as messages arrive; stdbuf execs mosquitto_sub, keeping the process id.
    $process = Start-Process -FilePath stdbuf -PassThru -RedirectStandardOutput $output -RedirectStandardError "$output.err" -ArgumentList @(
        '-oL', 'mosquitto_sub', '-h', '127.0.0.1', '-p', $Server.Port, '-V', $Version, '-q', $QoS, '-t', $Topic, '-t', $probeTopic, '-F', '"%t %p"')  # Start-Process joins the arguments with spaces
    $subscriber = [pscustomobject]@{ Process = $process; OutputPath = $output; ProbeTopic = $probeTopic }
    try {
        Wait-Until -TimeoutSeconds $TimeoutSeconds -IntervalMilliseconds 100 -Because "mosquitto_sub to subscribe to '$Topic'" -Condition {
            & mosquitto_pub -h 127.0.0.1 -p $Server.Port -t $probeTopic -m ready 2>$null
            (Test-Path $output) -and @(Get-Content $output | Where-Object { $_ -like "$probeTopic *" }).Count -gt 0
        }
    }
    catch { Stop-MosquittoSubscriber $subscriber; throw }
    $subscriber
}

function Wait-MosquittoSubscriberLine {
    <# The lines a subscriber from Start-MosquittoSubscriber received on its topic (probes left out), once there are
       -Count of them, or none has come for -QuietSeconds, or -TimeoutSeconds have passed (then those that arrived:
       the caller's assertion says what is missing). #>
    param([Parameter(Mandatory)] $Subscriber, [Parameter(Mandatory)] [int] $Count, [double] $TimeoutSeconds = 60, [double] $QuietSeconds = 5)
    $read = { @(Get-Content $Subscriber.OutputPath | Where-Object { $_ -notlike "$($Subscriber.ProbeTopic) *" }) }
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    $seen = -1; $quietUntil = [DateTime]::UtcNow.AddSeconds($QuietSeconds)
    while ($true) {
        $lines = & $read
        if ($lines.Count -ge $Count -or [DateTime]::UtcNow -ge $deadline) { return $lines }
        if ($lines.Count -ne $seen) { $seen = $lines.Count; $quietUntil = [DateTime]::UtcNow.AddSeconds($QuietSeconds) }
        elseif ([DateTime]::UtcNow -ge $quietUntil) { return $lines }
        Start-Sleep -Milliseconds 100
    }
}

function Stop-MosquittoSubscriber {
    <# Stops a subscriber from Start-MosquittoSubscriber by its process id. #>
    param([Parameter(Mandatory, ValueFromPipeline)] $Subscriber)
    process {
        if (-not $Subscriber.Process.HasExited) { $Subscriber.Process.Kill() }
        $null = $Subscriber.Process.WaitForExit(5000)
    }
}

function New-TestPki {
    <#
    A throw-away PKI made with openssl in -Directory (created): ca.crt, server.crt/.key (CN=localhost, for localhost,
    127.0.0.1 and ::1), client.crt/.key (CN=mqttps-test-client), all signed by the CA; PFX files with the password
    'secret': server-legacy.pfx and client-legacy.pfx with OpenSSL's -legacy encryption (what .NET Framework on older
    Windows and Mono read), client.pfx with OpenSSL 3's default (AES-256, PBKDF2). Readable by mosquitto after it
    drops root. Returns the directory.
    #>
    param([Parameter(Mandatory)] [string] $Directory)
    $null = New-Item -ItemType Directory -Force -Path $Directory
    $openssl = {
        $output = & openssl @args 2>&1
        if ($LASTEXITCODE -ne 0) { throw "openssl $($args -join ' ') failed: $output" }
    }
    Push-Location $Directory
    try {
        & $openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj '/CN=MqttPS Test CA' `
            -addext 'basicConstraints=critical,CA:TRUE' -addext 'keyUsage=critical,keyCertSign,cRLSign'
        $issue = @{
            server = @('/CN=localhost', "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1`nextendedKeyUsage=serverAuth`nbasicConstraints=CA:FALSE`n")
            client = @('/CN=mqttps-test-client', "extendedKeyUsage=clientAuth`nbasicConstraints=CA:FALSE`n")
        }
        foreach ($name in $issue.Keys) {
            Set-Content -Path "$name.ext" -Value $issue[$name][1] -NoNewline
            & $openssl req -newkey rsa:2048 -nodes -keyout "$name.key" -out "$name.csr" -subj $issue[$name][0]
            & $openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$name.crt" -days 2 -extfile "$name.ext"
            & $openssl pkcs12 -export -legacy -in "$name.crt" -inkey "$name.key" -out "$name-legacy.pfx" -passout pass:secret
        }
        & $openssl pkcs12 -export -in client.crt -inkey client.key -out client.pfx -passout pass:secret
        if ($IsLinux) { & chmod 755 $Directory; & chmod 644 (Get-ChildItem -File $Directory).FullName }
    }
    finally { Pop-Location }
    $Directory
}

function Invoke-ExternalProgram {
    <#
    Runs a program to its end with a deadline (killed with its children past -TimeoutSeconds, then throws), with
    extra -Environment variables ($null removes one). Returns ExitCode, Output (lines of standard output) and
    StandardError.
    #>
    param([Parameter(Mandatory)] [string] $FilePath, [string[]] $ArgumentList = @(), [hashtable] $Environment = @{}, [double] $TimeoutSeconds = 60)
    $start = [System.Diagnostics.ProcessStartInfo]::new($FilePath)
    foreach ($a in $ArgumentList) { $start.ArgumentList.Add([string]$a) }
    foreach ($k in $Environment.Keys) {
        if ($null -eq $Environment[$k]) { $null = $start.Environment.Remove($k) } else { $start.Environment[$k] = [string]$Environment[$k] }
    }
    $start.UseShellExecute = $false
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $process = [System.Diagnostics.Process]::Start($start)
    try {
        $stdout = $process.StandardOutput.ReadToEndAsync()
        $stderr = $process.StandardError.ReadToEndAsync()
        if (-not $process.WaitForExit([int]($TimeoutSeconds * 1000))) {
            $process.Kill($true)
            $null = $process.WaitForExit(5000)
            throw "$FilePath did not finish within $TimeoutSeconds s; its output so far: $(if ($stdout.IsCompleted) { $stdout.Result })"
        }
        $process.WaitForExit()
        [pscustomobject]@{ ExitCode = $process.ExitCode; Output = @($stdout.Result -split "`r?`n" | Where-Object { $_ }); StandardError = $stderr.Result }
    }
    finally { $process.Dispose() }
}

function Get-MonoNetStandardFacade {
    <# Mono's netstandard.dll facade: from mono-devel where installed, else the copy tests/install-dependencies.sh
       took from mono-devel's package into out/mono-facades. Throws when there is none. #>
    foreach ($candidate in '/usr/lib/mono/4.5/Facades/netstandard.dll', (Join-Path $script:RepositoryRoot 'out/mono-facades/netstandard.dll')) {
        if (Test-Path $candidate) { return $candidate }
    }
    throw "Mono's netstandard.dll facade is missing: run tests/install-dependencies.sh (it takes it from Debian's mono-devel package)."
}

function Start-PowerShellTask {
    <#
    Runs a script block in a new runspace of this process (another thread), with the module under test imported.
    Returns a handle for Wait-PowerShellTask / Stop-PowerShellTask. Output is collected in .Output (read it by index
    while the task runs: enumerating an open PSDataCollection blocks until it closes).
    #>
    param([Parameter(Mandatory)] [scriptblock] $ScriptBlock, [object[]] $ArgumentList = @(),
        # A host (New-ScriptedHost) for the task's runspace, so that prompts and Write-Host have somewhere to go.
        [System.Management.Automation.Host.PSHost] $TaskHost)
    $ps = [powershell]::Create()
    $runspace = $null
    if ($TaskHost) {
        $runspace = [runspacefactory]::CreateRunspace($TaskHost)
        $runspace.Open()
        $ps.Runspace = $runspace
    }
    # One script, not a batch of statements: PowerShell runs a batch's next statement on a thread-pool thread, which
    # crashes the process (InvalidRunspaceStateException) when the task was stopped and its runspace is closing.
    $null = $ps.AddScript({
        param($module, $text, [object[]] $arguments)
        Import-Module $module
        . ([scriptblock]::Create($text)) @arguments
    }.ToString()).AddArgument((Get-MqttPSModulePath)).AddArgument($ScriptBlock.ToString()).AddArgument($ArgumentList)
    $noInput = [System.Management.Automation.PSDataCollection[psobject]]::new()
    $noInput.Complete()
    $output = [System.Management.Automation.PSDataCollection[psobject]]::new()
    [pscustomobject]@{ PowerShell = $ps; Handle = $ps.BeginInvoke($noInput, $output); Output = $output; Runspace = $runspace }
}

function Wait-PowerShellTask {
    <# Waits for a task from Start-PowerShellTask (stops it and throws at the deadline); returns its output and
       throws its first error unless -PassThruErrors. #>
    param([Parameter(Mandatory)] $Task, [double] $TimeoutSeconds = 30, [switch] $PassThruErrors)
    try {
        if (-not $Task.Handle.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds($TimeoutSeconds))) {
            $Task.PowerShell.Stop()
            throw "The background PowerShell task did not finish within $TimeoutSeconds s."
        }
        try { $null = $Task.PowerShell.EndInvoke($Task.Handle) } catch { if (-not $PassThruErrors) { throw } }
        $errors = @($Task.PowerShell.Streams.Error)
        if ($errors.Count -gt 0 -and -not $PassThruErrors) { throw $errors[0] }
        for ($i = 0; $i -lt $Task.Output.Count; $i++) { $Task.Output[$i] }
        if ($PassThruErrors) { $errors }
    }
    finally {
        $Task.PowerShell.Dispose()
        if ($Task.Runspace) { $Task.Runspace.Dispose() }
    }
}

function Stop-PowerShellTask {
    <# What Ctrl+C does to a running command ([powershell]::Stop(), i.e. StopProcessing); returns how long the stop
       took, so tests can assert the prompt returns at once. #>
    param([Parameter(Mandatory)] $Task)
    $watch = [System.Diagnostics.Stopwatch]::StartNew()
    $Task.PowerShell.Stop()
    $watch.Elapsed
}

function Get-PwshExecutable {
    <# How to start a separate PowerShell process of the same version: @{ File; Prefix } where Prefix holds the
       arguments before PowerShell's own (dotnet exec <pwsh.dll>: the real process, not the dotnet-tool launcher,
       so a signal sent to its id reaches PowerShell itself). #>
    $dll = Join-Path $PSHOME 'pwsh.dll'
    if (Test-Path $dll) { @{ File = [Environment]::ProcessPath; Prefix = @('exec', $dll) } }
    else { @{ File = (Get-Process -Id $PID).Path; Prefix = @() } }
}

function Get-MqttnetHostPath {
    <# The MQTTnet server program (tests/MqttPS.MqttnetHost), built by dotnet build/test of MqttPS.sln -c Release. #>
    Join-Path $script:RepositoryRoot 'tests/MqttPS.MqttnetHost/bin/Release/net10.0/MqttPS.MqttnetHost.dll'
}

function Start-MqttnetServer {
    <#
    Starts an MQTTnet 5.2 server (tests/MqttPS.MqttnetHost) on a free loopback port, as the .NET peer of the interop
    tests: MQTTnet's defaults, or -PersistentSessions (its EnablePersistentSessions), optionally with a ws:// endpoint.
    Returns an object with Port, Uri, WebSocketPort, WebSocketUri and Process; stop it with Stop-MqttnetServer.
    #>
    param([switch] $PersistentSessions, [switch] $WebSocket, [double] $TimeoutSeconds = 30)
    $hostPath = Get-MqttnetHostPath
    if (-not (Test-Path $hostPath)) { throw "The MQTTnet server program is not built ('$hostPath' is missing). Run: dotnet build tests/MqttPS.MqttnetHost -c Release" }
    $start = [System.Diagnostics.ProcessStartInfo]::new([Environment]::ProcessPath)
    if ((Split-Path -Leaf ([Environment]::ProcessPath)) -notlike 'dotnet*') { $start.FileName = 'dotnet' }
    foreach ($a in @($hostPath, '--port', '0', '--stdin-close')) { $start.ArgumentList.Add($a) }
    if ($PersistentSessions) { $start.ArgumentList.Add('--persistent-sessions') }
    if ($WebSocket) { $start.ArgumentList.Add('--ws-port'); $start.ArgumentList.Add('0') }
    $start.UseShellExecute = $false
    $start.RedirectStandardInput = $true
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $process = [System.Diagnostics.Process]::Start($start)
    $stderr = $process.StandardError.ReadToEndAsync()
    $server = [pscustomobject]@{ Port = 0; Uri = $null; WebSocketPort = 0; WebSocketUri = $null; Process = $process }
    $lines = if ($WebSocket) { 2 } else { 1 }
    for ($i = 0; $i -lt $lines; $i++) {
        $read = $process.StandardOutput.ReadLineAsync()
        if (-not $read.Wait([TimeSpan]::FromSeconds($TimeoutSeconds)) -or $null -eq $read.Result) {
            if (-not $process.HasExited) { $process.Kill() }
            throw "The MQTTnet server did not start within $TimeoutSeconds s: $(if ($stderr.Wait(2000)) { $stderr.Result })"
        }
        $line = $read.Result.Trim()
        if ($line -match '^ws (\d+)$') { $server.WebSocketPort = [int]$Matches[1]; $server.WebSocketUri = "ws://127.0.0.1:$($Matches[1])/mqtt" }
        elseif ($line -match '^\d+$') { $server.Port = [int]$line; $server.Uri = "mqtt://127.0.0.1:$line" }
    }
    $null = $process.StandardOutput.ReadToEndAsync()
    Wait-TcpPort -Port $server.Port
    $server
}

function Stop-MqttnetServer {
    <# Stops a server from Start-MqttnetServer: closes its stdin (it then stops), kills it by process id if it lingers. #>
    param([Parameter(Mandatory, ValueFromPipeline)] $Server)
    process {
        if ($Server.Process -and -not $Server.Process.HasExited) {
            $Server.Process.StandardInput.Close()
            if (-not $Server.Process.WaitForExit(10000)) { $Server.Process.Kill() }
        }
    }
}


# ---- A host that answers prompts, for -Confirm, Get-Credential and Read-Host in a background runspace ----

if (-not ('MqttPSTests.ScriptedHost' -as [type])) {
    Add-Type -TypeDefinition @'
using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;
using System.Text;

namespace MqttPSTests
{
    /// <summary>A PowerShell host whose user answers from a script: each prompt for a choice takes the next
    /// hot key of Answers (the default choice when none is left); credentials and secure reads get the values
    /// given. Records every prompt and everything written.</summary>
    public sealed class ScriptedHost : PSHost
    {
        private readonly Guid _id = Guid.NewGuid();
        private readonly ScriptedUserInterface _ui;

        public ScriptedHost(string[] answers, PSCredential credential, string secret)
        {
            _ui = new ScriptedUserInterface(answers ?? new string[0], credential, secret);
        }

        public ScriptedUserInterface Scripted { get { return _ui; } }
        public override PSHostUserInterface UI { get { return _ui; } }
        public override string Name { get { return "MqttPSTestHost"; } }
        public override Version Version { get { return new Version(1, 0); } }
        public override Guid InstanceId { get { return _id; } }
        public override CultureInfo CurrentCulture { get { return CultureInfo.CurrentCulture; } }
        public override CultureInfo CurrentUICulture { get { return CultureInfo.CurrentUICulture; } }
        public override void SetShouldExit(int exitCode) { }
        public override void EnterNestedPrompt() { throw new NotSupportedException(); }
        public override void ExitNestedPrompt() { throw new NotSupportedException(); }
        public override void NotifyBeginApplication() { }
        public override void NotifyEndApplication() { }
    }

    /// <summary>A TCP server on a free loopback port that answers every connection with fixed bytes, after the
    /// client's first bytes: an HTTP server's error page, a TLS alert, or a CONNACK after which it stays silent
    /// (KeepOpen) like a broker that never acknowledges. Stopped by Dispose.</summary>
    public sealed class FakeServer : IDisposable
    {
        private readonly System.Net.Sockets.TcpListener _listener;
        private readonly byte[] _reply;
        private readonly bool _keepOpen;
        private readonly List<System.Net.Sockets.TcpClient> _clients = new List<System.Net.Sockets.TcpClient>();

        public FakeServer(byte[] reply, bool keepOpen)
        {
            _reply = reply ?? new byte[0];
            _keepOpen = keepOpen;
            _listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
            _listener.Start();
            Port = ((System.Net.IPEndPoint)_listener.LocalEndpoint).Port;
            new System.Threading.Thread(Accept) { IsBackground = true }.Start();
        }

        public int Port { get; private set; }

        private void Accept()
        {
            while (true)
            {
                System.Net.Sockets.TcpClient client;
                try { client = _listener.AcceptTcpClient(); } catch (Exception) { return; }
                lock (_clients) _clients.Add(client);
                new System.Threading.Thread(() => Serve(client)) { IsBackground = true }.Start();
            }
        }

        private void Serve(System.Net.Sockets.TcpClient client)
        {
            try
            {
                var stream = client.GetStream();
                var buffer = new byte[4096];
                stream.ReadTimeout = 5000;
                stream.Read(buffer, 0, buffer.Length);
                stream.Write(_reply, 0, _reply.Length);
                stream.Flush();
                if (_keepOpen) { stream.ReadTimeout = System.Threading.Timeout.Infinite; while (stream.Read(buffer, 0, buffer.Length) > 0) { } }
            }
            catch (Exception) { }
            finally { client.Close(); }
        }

        public void Dispose()
        {
            _listener.Stop();
            lock (_clients) foreach (var c in _clients) c.Close();
        }
    }

    public sealed class ScriptedUserInterface : PSHostUserInterface
    {
        private readonly Queue<string> _answers;
        private readonly PSCredential _credential;
        private readonly string _secret;
        private readonly StringBuilder _written = new StringBuilder();
        public readonly List<string> Prompts = new List<string>();

        public ScriptedUserInterface(string[] answers, PSCredential credential, string secret)
        {
            _answers = new Queue<string>(answers);
            _credential = credential;
            _secret = secret;
        }

        public string Written { get { lock (_written) return _written.ToString(); } }

        public override PSHostRawUserInterface RawUI { get { return null; } }

        public override int PromptForChoice(string caption, string message, Collection<ChoiceDescription> choices, int defaultChoice)
        {
            string answer;
            lock (Prompts)
            {
                Prompts.Add(caption + ": " + message);
                if (_answers.Count == 0) return defaultChoice;
                answer = _answers.Dequeue();
            }
            for (var i = 0; i < choices.Count; i++)
            {
                var label = choices[i].Label;
                var amp = label.IndexOf('&');
                if (amp >= 0 && amp + 1 < label.Length && string.Equals(label.Substring(amp + 1, 1), answer, StringComparison.OrdinalIgnoreCase)) return i;
            }
            throw new InvalidOperationException("No choice with hot key '" + answer + "' in: " + message);
        }

        /// <summary>Read-Host with a prompt asks through here: every field gets the secret (as a SecureString
        /// where one is asked for).</summary>
        public override Dictionary<string, PSObject> Prompt(string caption, string message, Collection<FieldDescription> descriptions)
        {
            var answers = new Dictionary<string, PSObject>();
            foreach (var field in descriptions)
            {
                lock (Prompts) Prompts.Add(caption + ": " + message + " " + field.Name);
                var secure = field.ParameterTypeFullName == typeof(SecureString).FullName;
                answers[field.Name] = secure ? new PSObject(ReadLineAsSecureString()) : new PSObject(_secret);
            }
            return answers;
        }

        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName)
        {
            lock (Prompts) Prompts.Add(caption + ": " + message);
            return _credential;
        }

        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName,
            PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options)
        {
            return PromptForCredential(caption, message, userName, targetName);
        }

        public override string ReadLine() { return _secret; }

        public override SecureString ReadLineAsSecureString()
        {
            var secure = new SecureString();
            foreach (var c in _secret) secure.AppendChar(c);
            return secure;
        }

        private void Append(string text) { lock (_written) _written.Append(text); }
        public override void Write(string value) { Append(value); }
        public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) { Append(value); }
        public override void WriteLine(string value) { Append(value + "\n"); }
        public override void WriteErrorLine(string value) { Append(value + "\n"); }
        public override void WriteDebugLine(string message) { Append("DEBUG: " + message + "\n"); }
        public override void WriteVerboseLine(string message) { Append("VERBOSE: " + message + "\n"); }
        public override void WriteWarningLine(string message) { Append("WARNING: " + message + "\n"); }
        public override void WriteProgress(long sourceId, ProgressRecord record) { }
    }
}
'@
}

function New-ScriptedHost {
    <#
    A host for Start-PowerShellTask -Host whose user answers prompts from a script: -Answers are the hot keys
    for successive choice prompts (Y, A, N, L), -Credential what Get-Credential gets, -Secret what Read-Host
    reads. $host.Scripted.Prompts lists the prompts shown, $host.Scripted.Written what was written to the host.
    #>
    param([string[]] $Answers = @(), [pscredential] $Credential, [string] $Secret = '')
    [MqttPSTests.ScriptedHost]::new($Answers, $Credential, $Secret)
}

function Start-FakeServer {
    <# A server on a free loopback port that answers each connection's first bytes with -Reply (and with
       -KeepOpen then stays silent). .Port is its port; stop it with .Dispose(). #>
    param([Parameter(Mandatory)] [AllowEmptyCollection()] [byte[]] $Reply, [switch] $KeepOpen)
    [MqttPSTests.FakeServer]::new($Reply, $KeepOpen.IsPresent)
}

function New-TestCertificateSet {
    <#
    Writes a CA and a server certificate it issued (CN=localhost, for localhost and 127.0.0.1) into -Directory:
    ca.crt, server.crt, server.key (PEM) and server.pfx (password -PfxPassword). Needs PowerShell 7.
    #>
    param([Parameter(Mandatory)] [string] $Directory, [string] $PfxPassword = 'pfx-pw')
    $null = New-Item -ItemType Directory -Force -Path $Directory
    $x509 = [System.Security.Cryptography.X509Certificates.X509Certificate2]
    $now = [DateTimeOffset]::Now
    $caKey = [System.Security.Cryptography.RSA]::Create(2048)
    $caRequest = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new('CN=MqttPS Test CA', $caKey,
        [System.Security.Cryptography.HashAlgorithmName]::SHA256, [System.Security.Cryptography.RSASignaturePadding]::Pkcs1)
    $caRequest.CertificateExtensions.Add([System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension]::new($true, $false, 0, $true))
    $ca = $caRequest.CreateSelfSigned($now.AddMinutes(-5), $now.AddDays(2))
    $serverKey = [System.Security.Cryptography.RSA]::Create(2048)
    $request = [System.Security.Cryptography.X509Certificates.CertificateRequest]::new('CN=localhost', $serverKey,
        [System.Security.Cryptography.HashAlgorithmName]::SHA256, [System.Security.Cryptography.RSASignaturePadding]::Pkcs1)
    $names = [System.Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder]::new()
    $names.AddDnsName('localhost')
    $names.AddIpAddress([System.Net.IPAddress]::Loopback)
    $request.CertificateExtensions.Add($names.Build())
    $serial = [byte[]](1..16 | ForEach-Object { Get-Random -Maximum 256 })
    $issued = $request.Create($ca, $now.AddMinutes(-5), $now.AddDays(1), $serial)
    $server = [System.Security.Cryptography.X509Certificates.RSACertificateExtensions]::CopyWithPrivateKey($issued, $serverKey)
    Set-Content -LiteralPath (Join-Path $Directory 'ca.crt') -Value $ca.ExportCertificatePem()
    Set-Content -LiteralPath (Join-Path $Directory 'server.crt') -Value $server.ExportCertificatePem()
    Set-Content -LiteralPath (Join-Path $Directory 'server.key') -Value $serverKey.ExportPkcs8PrivateKeyPem()
    [System.IO.File]::WriteAllBytes((Join-Path $Directory 'server.pfx'), $server.Export([System.Security.Cryptography.X509Certificates.X509ContentType]::Pfx, $PfxPassword))
    [pscustomobject]@{
        Directory = $Directory; CaPath = Join-Path $Directory 'ca.crt'; CertificatePath = Join-Path $Directory 'server.crt'
        KeyPath = Join-Path $Directory 'server.key'; PfxPath = Join-Path $Directory 'server.pfx'; PfxPassword = $PfxPassword
    }
}

function Join-StatementLines {
    <# Documentation lines as a user pastes them: a statement that goes on over several lines (a hashtable, a script
       block) is one entry, as the prompt keeps reading (>>) until it is complete; blank lines are left out. #>
    param([string[]] $Lines)
    $pending = @()
    foreach ($line in $Lines) {
        if (-not $pending -and -not $line.Trim()) { continue }
        $pending += $line
        $tokens = $null; $errors = $null
        $null = [System.Management.Automation.Language.Parser]::ParseInput(($pending -join "`n"), [ref] $tokens, [ref] $errors)
        if (@($errors | Where-Object IncompleteInput).Count -eq 0) { $pending -join "`n"; $pending = @() }
    }
    if ($pending) { $pending -join "`n" }
}

function Invoke-DocumentedLines {
    <#
    Runs documentation lines one after another in one fresh runspace, as a user pastes them at a prompt: -Setup first
    (it may set $ExampleSubstitutions, regular expressions to replacements applied to each line), then each line (or
    statement of several lines) in its own pipeline. A line whose comment says it runs "until Ctrl+C" must still run after -RunSeconds and is then
    stopped as Ctrl+C stops it; every other line must finish within -TimeoutSeconds. Returns one result per line:
    Line (as run), Completed, StopSeconds, Errors, Output.
    #>
    param(
        [Parameter(Mandatory)] [string[]] $Lines,
        [scriptblock] $Setup = {},
        [object[]] $SetupArguments = @(),
        [double] $RunSeconds = 3,
        [double] $TimeoutSeconds = 60,
        [string] $WorkingDirectory = (Get-Location).Path
    )
    $taskHost = New-ScriptedHost
    $runspace = [runspacefactory]::CreateRunspace($taskHost)
    $runspace.Open()
    try {
        $run = {
            param([string] $Script, [object[]] $Arguments, [double] $Seconds, [bool] $UntilStopped)
            $ps = [powershell]::Create()
            $ps.Runspace = $runspace
            $null = $ps.AddScript($Script)
            foreach ($a in $Arguments) { $null = $ps.AddArgument($a) }
            $output = [System.Management.Automation.PSDataCollection[psobject]]::new()
            $noInput = [System.Management.Automation.PSDataCollection[psobject]]::new(); $noInput.Complete()
            $handle = $ps.BeginInvoke($noInput, $output)
            $result = [pscustomobject]@{ Line = $Script; Completed = $handle.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds($Seconds)); StopSeconds = $null; Errors = @(); Output = @() }
            if (-not $result.Completed) {
                $watch = [System.Diagnostics.Stopwatch]::StartNew()
                $ps.Stop()
                $result.StopSeconds = $watch.Elapsed.TotalSeconds
            }
            try { $null = $ps.EndInvoke($handle) }
            catch {
                $exception = $_.Exception
                if ($exception -is [System.Management.Automation.MethodInvocationException]) { $exception = $exception.InnerException }
                if (-not ($exception -is [System.Management.Automation.PipelineStoppedException])) { $result.Errors += $exception.ErrorRecord ?? $_ }
            }
            $result.Errors += @($ps.Streams.Error | Where-Object { $result.Completed -or $_.FullyQualifiedErrorId -ne 'PipelineStopped' })
            $result.Output = @(for ($i = 0; $i -lt $output.Count; $i++) { $output[$i] })
            $ps.Dispose()
            $result
        }
        $setupText = "Set-Location -LiteralPath '$($WorkingDirectory.Replace("'", "''"))'; Import-Module '$((Get-MqttPSModulePath).Replace("'", "''"))'; `$ExampleSubstitutions = @{}; . { $Setup } @args"
        $prepared = & $run $setupText $SetupArguments $TimeoutSeconds $false
        if (-not $prepared.Completed -or $prepared.Errors.Count -gt 0) { throw "The setup failed: $($prepared.Errors -join '; ')" }
        $substitutions = $runspace.SessionStateProxy.GetVariable('ExampleSubstitutions')
        foreach ($line in (Join-StatementLines $Lines)) {
            $asRun = $line
            if ($substitutions) { foreach ($pattern in $substitutions.Keys) { $asRun = $asRun -replace $pattern, $substitutions[$pattern] } }
            $untilStopped = $line -match 'until Ctrl\+C'
            & $run $asRun @() $(if ($untilStopped) { $RunSeconds } else { $TimeoutSeconds }) $untilStopped |
                Add-Member -NotePropertyName UntilStopped -NotePropertyValue $untilStopped -PassThru
        }
    }
    finally { $runspace.Dispose() }
}

function Get-DocumentedError {
    <# The errors each cmdlet's help documents, from its NOTES ("Errors, as ...: Id (Category, Category); Id (Category).")
       as @{ Cmdlet; Id; Categories }. #>
    foreach ($name in (Get-Module MqttPS).ExportedCmdlets.Keys | Sort-Object) {
        $notes = (Get-Help $name -Full).alertSet.alert.Text -join "`n"
        $list = [regex]::Match($notes, 'Errors, as [^:]*:\s*(.*?)\.\s*$', 'Singleline').Groups[1].Value
        foreach ($entry in $list -split ';') {
            $m = [regex]::Match($entry.Trim(), '^(\w+) \(([^)]*)\)$')
            if ($m.Success) { @{ Cmdlet = $name; Id = $m.Groups[1].Value; Categories = @($m.Groups[2].Value -split ',\s*') } }
        }
    }
}

function Invoke-ExampleCode {
    <#
    Runs documentation code as a user would paste it: in a fresh runspace of this process with a host that answers
    prompts (-Answers; Get-Credential gets -Credential, Read-Host gets -Secret). -Setup runs first in the same
    scope (a scene: brokers, connections, retained messages, working directory); it may set
    $ExampleSubstitutions, a hashtable of regular expressions to replacements applied to the code (real
    addresses and ports become the scene's). With -UntilStopped the code is expected to run until Ctrl+C: it must
    still run after -RunSeconds, is then stopped as Ctrl+C stops it, and must end within a second and a half.
    Returns Code (as run), Output, Errors, Written (host output), Prompts, Completed, StopSeconds.
    #>
    param(
        [Parameter(Mandatory)] [string] $Code,
        [scriptblock] $Setup = {},
        [object[]] $SetupArguments = @(),
        [switch] $UntilStopped,
        [double] $RunSeconds = 3,
        [double] $TimeoutSeconds = 60,
        [string[]] $Answers = @(),
        [pscredential] $Credential,
        [string] $Secret = ''
    )
    $taskHost = New-ScriptedHost -Answers $Answers -Credential $Credential -Secret $Secret
    $task = Start-PowerShellTask -TaskHost $taskHost -ArgumentList @($Setup.ToString(), $SetupArguments, $Code) -ScriptBlock {
        param($setupText, $setupArguments, $code)
        $ExampleSubstitutions = @{}
        $null = . ([scriptblock]::Create($setupText)) @setupArguments
        foreach ($pattern in $ExampleSubstitutions.Keys) { $code = $code -replace $pattern, $ExampleSubstitutions[$pattern] }
        $global:ExampleCodeAsRun = $code
        . ([scriptblock]::Create($code))
    }
    $result = [pscustomobject]@{ Code = $Code; Output = @(); Errors = @(); Written = ''; Prompts = @(); Completed = $false; StopSeconds = $null }
    try {
        $limit = if ($UntilStopped) { $RunSeconds } else { $TimeoutSeconds }
        $result.Completed = $task.Handle.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds($limit))
        if (-not $result.Completed) { $result.StopSeconds = (Stop-PowerShellTask -Task $task).TotalSeconds }
        try { $null = $task.PowerShell.EndInvoke($task.Handle) }
        catch {
            # EndInvoke's exception comes wrapped (MethodInvocationException); a stop is what -UntilStopped asked for.
            $exception = $_.Exception
            if ($exception -is [System.Management.Automation.MethodInvocationException]) { $exception = $exception.InnerException }
            if (-not ($exception -is [System.Management.Automation.PipelineStoppedException])) { $result.Errors += $exception.ErrorRecord ?? $_ }
        }
        # Stopping leaves a record of the stop itself in the error stream; a console shows none after Ctrl+C.
        $result.Errors += @($task.PowerShell.Streams.Error)
        if (-not $result.Completed) { $result.Errors = @($result.Errors | Where-Object { $_.FullyQualifiedErrorId -ne 'PipelineStopped' }) }
        $result.Output = @(for ($i = 0; $i -lt $task.Output.Count; $i++) { $task.Output[$i] })
        $result.Written = $taskHost.Scripted.Written
        $result.Prompts = @($taskHost.Scripted.Prompts)
        $asRun = $task.PowerShell.Runspace.SessionStateProxy.GetVariable('ExampleCodeAsRun')
        if ($asRun) { $result.Code = $asRun }
    }
    finally {
        $task.PowerShell.Dispose()
        $task.Runspace.Dispose()
    }
    $result
}

function Start-MosquittoConfig {
    <#
    Starts Debian's mosquitto with an existing configuration file (which names its own listeners); -Port is the port
    to wait for. Returns an object Stop-Mosquitto accepts (it removes -Directory, by default the file's folder,
    unless -KeepDirectory) and Start-MosquittoProcess restarts.
    #>
    param([Parameter(Mandatory)] [string] $ConfigPath, [Parameter(Mandatory)] [int] $Port, [string] $Directory)
    if (-not $Directory) { $Directory = Split-Path -Parent $ConfigPath }
    $server = [pscustomobject]@{
        Port = $Port; Uri = "mqtt://127.0.0.1:$Port"; Directory = $Directory; ConfigPath = $ConfigPath; Process = $null
        LogPath = Join-Path $Directory 'mosquitto.log'
    }
    Start-MosquittoProcess -Server $server
    $server
}

function New-MosquittoPasswordFile {
    <# Writes a password file with mosquitto_passwd (-b) for a hashtable of user names and passwords. #>
    param([Parameter(Mandatory)] [string] $Path, [Parameter(Mandatory)] [hashtable] $Users)
    $first = $true
    foreach ($user in $Users.Keys) {
        $arguments = @(if ($first) { '-c' }) + @('-b', $Path, $user, $Users[$user])
        $output = & mosquitto_passwd @arguments 2>&1
        if ($LASTEXITCODE -ne 0) { throw "mosquitto_passwd failed: $output" }
        $first = $false
    }
}

Export-ModuleMember -Function *
