namespace Prior.MLNet.Tool.Serve;

/// <summary>
/// The page at <c>/</c>: drop or choose a chest radiograph (JPEG, PNG or DICOM) and see the zero-shot scores, where each
/// finding attends, and a drafted report — all from the server's own endpoints. <c>/?image=URL</c> loads an image by
/// URL (a data: URL too) without a click, which is how the headless-browser test drives it.
/// </summary>
internal static class ServePage
{
    /// <summary>The page (HTML, CSS and script in one, no external resources).</summary>
    public const string Html = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>Prior.MLNet</title>
        <style>
          body { font-family: system-ui, sans-serif; margin: 2rem; max-width: 70rem; color: #222; }
          #drop { border: 2px dashed #888; border-radius: 8px; padding: 2rem; text-align: center; cursor: pointer; }
          #drop.over { background: #eef; }
          #result { display: none; margin-top: 1.5rem; }
          table { border-collapse: collapse; }
          td, th { padding: 0.25rem 0.75rem; text-align: left; }
          .bar { background: #4a7; height: 0.8rem; display: inline-block; }
          .predicted { font-weight: bold; }
          #error { color: #b00; white-space: pre-wrap; }
          img { max-width: 100%; }
        </style>
        </head>
        <body>
        <h1>Prior.MLNet</h1>
        <p>A research model: check every output before it reaches a patient's record.</p>
        <div id="drop">Drop a chest radiograph here (JPEG, PNG or DICOM), or click to choose one.
          <input id="file" type="file" accept="image/*,.dcm,application/dicom" hidden></div>
        <p id="error"></p>
        <div id="result">
          <h2>Zero-shot scores</h2>
          <table id="scores"><thead><tr><th>class</th><th>score</th><th></th></tr></thead><tbody></tbody></table>
          <h2>Where each finding attends</h2>
          <img id="attention" alt="attention maps">
          <h2>Drafted report</h2>
          <p id="draft"></p>
        </div>
        <script>
        const drop = document.getElementById('drop'), file = document.getElementById('file');
        const error = document.getElementById('error');
        drop.onclick = () => file.click();
        drop.ondragover = e => { e.preventDefault(); drop.classList.add('over'); };
        drop.ondragleave = () => drop.classList.remove('over');
        drop.ondrop = e => {
          e.preventDefault();
          drop.classList.remove('over');
          if (e.dataTransfer.files.length) analyse(e.dataTransfer.files[0]);
        };
        file.onchange = () => { if (file.files.length) analyse(file.files[0]); };
        async function post(path, blob) {
          const response = await fetch(path, { method: 'POST', body: blob,
            headers: { 'Content-Type': blob.type && blob.type !== '' ? blob.type : 'application/octet-stream' } });
          if (!response.ok) {
            let problem = {};
            try { problem = await response.json(); } catch (_) {}
            throw new Error(`${path}: ${response.status} ${problem.title || ''}: ${problem.detail || ''}`);
          }
          return response;
        }
        async function analyse(blob) {
          error.textContent = '';
          try {
            const classified = await (await post('/v1/classify', blob)).json();
            const body = document.querySelector('#scores tbody');
            body.innerHTML = '';
            const values = Object.values(classified.scores), low = Math.min(...values), high = Math.max(...values);
            for (const [name, score] of Object.entries(classified.scores)) {
              const row = body.insertRow();
              row.className = 'score' + (name === classified.predicted ? ' predicted' : '');
              row.insertCell().textContent = name;
              row.insertCell().textContent = score.toFixed(4);
              const bar = document.createElement('span');
              bar.className = 'bar';
              bar.style.width = (4 + 200 * (score - low) / Math.max(high - low, 1e-6)) + 'px';
              row.insertCell().appendChild(bar);
            }
            document.getElementById('result').style.display = 'block';
            const attention = await post('/v1/attention', blob).then(r => r.blob()).catch(e => { error.textContent += e.message + '\n'; });
            if (attention) document.getElementById('attention').src = URL.createObjectURL(attention);
            const draft = await post('/v1/draft', blob).then(r => r.json()).catch(e => { error.textContent += e.message + '\n'; });
            if (draft) document.getElementById('draft').textContent = draft.text;
            document.body.dataset.done = 'yes';
          } catch (e) {
            error.textContent += e.message;
          }
        }
        const given = new URLSearchParams(location.search).get('image');
        if (given) fetch(given).then(r => r.blob()).then(analyse).catch(e => { error.textContent = e.message; });
        </script>
        </body>
        </html>
        """;
}
