# The embedded broker as users run it, for tests/bench-broker.sh: Start-MqttBroker in PowerShell (the pinned pwsh,
# started by the bench with `dotnet exec <pwsh.dll>` so that its process id is PowerShell's own), on 127.0.0.1 and the
# given port, with the module's defaults. Prints the bound port as the first line of standard output (as the broker
# host does), then holds the session until the process is stopped (SIGTERM from the bench; a background job's
# standard input is /dev/null, so it cannot be the signal).
param(
    [Parameter(Mandatory)] [int] $Port,
    [string] $ModulePath = (Join-Path $PSScriptRoot '../../out/MqttPS/MqttPS.psd1')
)
$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$broker = Start-MqttBroker -Port $Port -BindAddress 127.0.0.1 -Name bench
[Console]::Out.WriteLine($broker.Port)
[Console]::Out.Flush()
[Console]::Error.WriteLine("Start-MqttBroker listening on $($broker.Uri) (pwsh $($PSVersionTable.PSVersion), pid $PID)")
# The pipeline thread only sleeps; the broker runs on its own threads, as after Start-MqttBroker at a prompt.
while ($true) { Start-Sleep -Seconds 1 }
